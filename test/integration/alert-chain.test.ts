import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type LabScenario,
  labDocker,
  type Monitoring,
  monitoringTargetOf,
  setupScenario,
  startMonitoring,
} from '@runbook-bot/lab';
import { afterAll, describe, expect, it } from 'vitest';
import { type BotHarness, botHarness, CHANNEL } from '../support/bot-harness.js';
import { BotRedis } from '../support/bot-redis.js';
import { labEnv } from '../support/lab-run.js';

// The whole alert path for real: a Redis whose BGSAVE fails, redis_exporter, Prometheus with the
// operator's rules, Alertmanager with its repeats, the bot's intake, one incident with its card, an
// approval, the repair verified on the target, and the alert's resolution noted in the thread and
// the report. Nobody types a command.
const env = labEnv();
const docker = labDocker(env);
const TOKEN = `alert-token-${randomBytes(8).toString('hex')}`;

let redis: BotRedis | undefined;
let scenario: LabScenario | undefined;
let h: BotHarness | undefined;
let monitoring: Monitoring | undefined;

afterAll(async () => {
  await monitoring?.close();
  await h?.close();
  await scenario?.teardown();
  await redis?.stop();
});

const lines = (x: BotHarness, msg: RegExp) =>
  x.logLines.map((l) => JSON.parse(l) as { msg?: string; time: number }).filter((l) => msg.test(l.msg ?? ''));

describe('an alert opens an incident by itself', () => {
  it('fault → Prometheus → Alertmanager → one incident → approval → verified → alert resolved', async () => {
    redis = await BotRedis.start();
    scenario = await setupScenario('rdb-permission', { env, docker });
    h = await botHarness({
      redisUrl: redis.url,
      scenarios: [scenario],
      approvers: ['U_BOB'],
      env: { ALERT_WEBHOOK_TOKEN: TOKEN, ALERT_CHANNEL: CHANNEL },
    });
    const bot = h;
    const faultAt = Date.now();
    monitoring = await startMonitoring({
      targets: [await monitoringTargetOf(scenario, docker)],
      webhook: { url: `${bot.origin}/alerts/alertmanager`, bearerToken: TOKEN },
      dir: join(env.labDir, `${scenario.prefix}monitoring`),
    });
    await monitoring.waitUntilUp();
    const watchedAt = Date.now();

    const root = await bot.slack.waitFor(
      (s) => s.channelMessages(CHANNEL).find((m) => /^INC-\d+ /.test(m.text)),
      60_000,
    );
    const rootAt = Date.now();
    const id = /^INC-\d+/.exec(root.text)?.[0] ?? '';
    const card = await bot.card(id);
    const cardAt = Date.now();
    expect(JSON.stringify(root.blocks)).toMatch(/RedisBgsaveFailing/);
    expect(JSON.stringify(card.blocks)).toMatch(/chown -R -h 999:999 \/data\/\./);

    // Alertmanager repeats the notification while the card waits: still one incident.
    for (let i = 0; i < 400 && lines(bot, /^alert (deduplicated|known|noted)/).length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(lines(bot, /^alert (deduplicated|known|noted)/).length).toBeGreaterThan(0);
    await bot.slack.clickButton({
      userId: 'U_BOB',
      channelId: CHANNEL,
      messageTs: card.ts,
      actionId: 'incident_approve',
    });
    const approvedAt = Date.now();
    expect(await bot.waitForStatus(id, ['resolved'])).toBe('resolved');
    const verifiedAt = Date.now();
    expect((await scenario.redisCli(['SET', 'k', 'v'])).stdout.trim()).toBe('OK');

    // Prometheus sees BGSAVE succeed, Alertmanager sends `resolved`, the bot notes it.
    const resolvedAlert = async () =>
      Object.values((await bot.orchestrator.load(id))?.state.alerts ?? {}).find(
        (a) => a.resolvedAt !== undefined,
      );
    for (let i = 0; i < 600 && !(await resolvedAlert()); i++) await new Promise((r) => setTimeout(r, 100));
    const resolved = await resolvedAlert();
    const resolvedAt = Date.now();
    expect(resolved?.name).toBe('RedisBgsaveFailing');
    // The thread's note and the report filed again both say the alert resolved, not only the incident;
    // the note is posted after the state records it, so it is waited for.
    const threadText = () =>
      bot.slack
        .thread(CHANNEL, root.ts)
        .map((m) => `${m.text} ${JSON.stringify(m.blocks ?? [])}`)
        .join('\n');
    const NOTE = /Alert RedisBgsaveFailing resolved at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/;
    for (let i = 0; i < 100 && !NOTE.test(threadText()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(threadText()).toMatch(NOTE);
    let report = '';
    for (let i = 0; i < 100 && !/Alert RedisBgsaveFailing resolved at/.test(report); i++) {
      report = await readFile(join(bot.reportsDir, `${id}.md`), 'utf8').catch(() => '');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(report).toMatch(/Alert RedisBgsaveFailing resolved at/);
    const incidents = bot.slack.messages(CHANNEL).filter((m) => /^INC-\d+ /.test(m.text));
    expect(incidents).toHaveLength(1);

    const received = lines(bot, /^alert (started|deduplicated|noted|unmatched|rate-limited|no-incident)/);
    const first = received[0]?.time ?? Number.NaN;
    const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      [
        'alert chain on rdb-permission (the fault is there before monitoring starts):',
        `  stack up → first alert received: ${secs(first - watchedAt)} (stack start → up: ${secs(watchedAt - faultAt)})`,
        `  alert received → root message: ${secs(rootAt - first)}`,
        `  alert received → approval card: ${secs(cardAt - first)}`,
        `  approval → verified: ${secs(verifiedAt - approvedAt)}`,
        `  verified → alert resolved noted: ${secs(resolvedAt - verifiedAt)}`,
        `  notifications handled: ${received.map((l) => l.msg).join(', ')}`,
      ].join('\n'),
    );
  }, 240_000);
});
