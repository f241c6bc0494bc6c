import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname, join } from 'node:path';
import {
  DEFAULT_RULES_FILE,
  execIn,
  type LabScenario,
  labDocker,
  type Monitoring,
  monitoringTargetOf,
  runHost,
  setupScenario,
  startMonitoring,
} from '@runbook-bot/lab';
import { afterAll, describe, expect, it } from 'vitest';
import { labEnv } from '../support/lab-run.js';

// The chain the bot's Alertmanager intake will sit at the end of, for real and minus the bot:
// a Redis whose BGSAVE fails → redis_exporter → Prometheus with the operator's rules → Alertmanager →
// a webhook. The webhook here is a bare HTTP server that records what arrives.
const env = labEnv();
const docker = labDocker(env);

interface Received {
  at: number;
  path: string;
  authorization: string | undefined;
  body: AlertmanagerPayload;
}
interface AlertmanagerPayload {
  version: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  alerts: {
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    fingerprint: string;
  }[];
}

const received: Received[] = [];
let server: Server | undefined;
let scenario: LabScenario | undefined;
let monitoring: Monitoring | undefined;

afterAll(async () => {
  await monitoring?.close();
  await scenario?.teardown();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

async function webhook(): Promise<string> {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AlertmanagerPayload;
      received.push({ at: Date.now(), path: req.url ?? '', authorization: req.headers.authorization, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/alertmanager`;
}

/** The first notification at or after index `from` that matches, within timeoutMs. */
async function next(what: string, from: number, match: (r: Received) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hit = received.slice(from).find(match);
    if (hit) return { hit, index: received.indexOf(hit) };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `no ${what} within ${timeoutMs} ms; received: ${JSON.stringify(received.map((r) => r.body))}`,
  );
}

const alertOf = (r: Received) => r.body.alerts[0];
const isStatus = (status: 'firing' | 'resolved') => (r: Received) => r.body.status === status;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function inRedisAsRoot(argv: string[]) {
  const container = scenario?.target.redis.docker?.container ?? '';
  const r = await execIn(docker, container, argv, { user: 'root', timeoutSec: 5 });
  expect(r.exitCode, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
}

/** BGSAVE, then the persistence status once it finished (what runbooks-lab.test.ts checks). */
async function bgsaveStatus(): Promise<string> {
  if (!scenario) throw new Error('no scenario');
  await scenario.redisCli(['BGSAVE']);
  for (let i = 0; i < 25; i++) {
    const info = (await scenario.redisCli(['INFO', 'persistence'])).stdout;
    if (/rdb_bgsave_in_progress:0/.test(info)) return /rdb_last_bgsave_status:(\w+)/.exec(info)?.[1] ?? '';
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('BGSAVE did not finish');
}

describe('the lab monitoring stack, end to end', () => {
  it('the operator rules pass promtool (syntax and their own unit tests)', async () => {
    const check = await runHost(['promtool', 'check', 'rules', DEFAULT_RULES_FILE]);
    expect(`${check.stdout}${check.stderr}`).toMatch(/SUCCESS: 5 rules found/);
    // promtool finds the rules file relative to the test file.
    const tests = join(dirname(DEFAULT_RULES_FILE), 'runbook-bot-rules.test.yml');
    const unit = await runHost(['promtool', 'test', 'rules', tests]);
    expect(unit.exitCode, `${unit.stdout}${unit.stderr}`).toBe(0);
  });

  it('a failing BGSAVE fires, repeats and resolves at the webhook, routed by runbook and target', async () => {
    const token = randomBytes(16).toString('hex');
    const url = await webhook();
    scenario = await setupScenario('rdb-permission', { env, docker });
    const faultSeen = Date.now();
    const target = await monitoringTargetOf(scenario, docker);
    expect(target.redisAddress).toMatch(/^10\.89\.\d+\.\d+:6379$/);
    // Under LAB_DIR with the scenario's prefix: teardown also ends the daemons if close() is missed.
    const dir = join(env.labDir, `${scenario.prefix}monitoring`);
    monitoring = await startMonitoring({ targets: [target], webhook: { url, bearerToken: token }, dir });
    await monitoring.waitUntilUp();
    const up = Date.now();
    const { repeatIntervalSec, groupIntervalSec } = monitoring.timings;

    // Secrets stay out of argv, where any user's `ps` would see them.
    for (const pid of await readdir('/proc').then((es) => es.filter((e) => /^\d+$/.test(e)))) {
      const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (argv.includes(dir)) expect(argv).not.toContain(token);
    }

    const first = await next('firing notification', 0, isStatus('firing'), 30_000);
    const firing = first.hit;
    expect(firing.path).toBe('/alertmanager');
    expect(firing.authorization).toBe(`Bearer ${token}`);
    expect(firing.body).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'runbook-bot',
      groupLabels: { alertname: 'RedisBgsaveFailing', target: scenario.targetName },
    });
    expect(firing.body.alerts).toHaveLength(1);
    const alert = alertOf(firing);
    expect(alert).toMatchObject({
      status: 'firing',
      endsAt: '0001-01-01T00:00:00Z',
      labels: {
        alertname: 'RedisBgsaveFailing',
        runbook: 'redis-permissions',
        target: scenario.targetName,
        severity: 'critical',
        instance: `redis://${target.redisAddress}`,
      },
    });
    expect(alert?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(alert?.annotations.summary).toContain(scenario.targetName);
    const fingerprint = alert?.fingerprint;

    // Alertmanager repeats an unchanged group after repeat_interval, on a group_interval tick.
    const sameAlert = (r: Received) => isStatus('firing')(r) && alertOf(r)?.fingerprint === fingerprint;
    const repeat = await next(
      'repeated firing',
      first.index + 1,
      sameAlert,
      (repeatIntervalSec + 2 * groupIntervalSec + 5) * 1000,
    );
    expect(repeat.hit.at - firing.at).toBeGreaterThanOrEqual((repeatIntervalSec - 1) * 1000);

    // The repair the runbook proposes: give the data dir to Redis's user, then BGSAVE again.
    await inRedisAsRoot(['chown', 'redis:redis', '/data']);
    expect(await bgsaveStatus()).toBe('ok');
    const fixed = Date.now();
    const resolved = await next('resolved notification', repeat.index + 1, isStatus('resolved'), 30_000);
    expect(resolved.hit.authorization).toBe(`Bearer ${token}`);
    expect(resolved.hit.body.version).toBe('4');
    expect(alertOf(resolved.hit)).toMatchObject({ status: 'resolved', fingerprint });
    expect(alertOf(resolved.hit)?.endsAt).not.toBe('0001-01-01T00:00:00Z');

    // Break it again while watched: the one timing that starts at the fault itself.
    await inRedisAsRoot(['chown', '1001:1001', '/data']);
    expect(await bgsaveStatus()).toBe('err');
    const broken = Date.now();
    const again = await next('firing after the fault came back', resolved.index + 1, sameAlert, 30_000);

    // Only this rule spoke: under MISCONF Redis still answers the exporter, so no RedisDown misroutes it.
    expect([...new Set(received.flatMap((r) => r.body.alerts.map((a) => a.labels.alertname)))]).toEqual([
      'RedisBgsaveFailing',
    ]);
    console.log(
      [
        `monitoring timings (scrape/eval ${monitoring.timings.intervalSec} s, group_wait ${monitoring.timings.groupWaitSec} s, group_interval ${groupIntervalSec} s, repeat_interval ${repeatIntervalSec} s, for: 0s):`,
        `  scenario fault observed → stack up: ${secs(up - faultSeen)}`,
        `  stack up (fault present) → first firing: ${secs(firing.at - up)}`,
        `  first firing → repeat: ${secs(repeat.hit.at - firing.at)}`,
        `  fix (BGSAVE ok) → resolved: ${secs(resolved.hit.at - fixed)}`,
        `  fault again (BGSAVE err) → firing: ${secs(again.hit.at - broken)}`,
        `  notifications: ${received.map((r) => r.body.status).join(', ')}`,
      ].join('\n'),
    );
  });
});
