import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from '@runbook-bot/demo';
import type { LabScenario } from '@runbook-bot/lab';
import { createLocalSlack } from '@runbook-bot/local-slack';
import { redisFor } from '../../src/queue/connection.js';
import { RedisRunStore } from '../../src/queue/redis-run-store.js';
import { BOT_TOKEN, SIGNING_SECRET } from '../support/bot-harness.js';
import { labEnv } from '../support/lab-run.js';
import { scenarioEnvironment } from '../support/scenario-env.js';
import { WorkerProcess } from '../support/worker-process.js';

/**
 * The bot as it is deployed split: `serve --role bot` (Bolt, orchestrator, event worker, notifier) and
 * `serve --role worker` (the step workers) as two real processes; the local Slack in this one, so
 * that what an ack measures is the bot's own process and nothing of Slack's or the benchmark's.
 */
export async function splitBot(redisUrl: string, scenarios: LabScenario[]) {
  const slack = await createLocalSlack({ signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
  const { dir, targetsFile, secrets } = scenarioEnvironment(scenarios);
  const port = await freePort();
  const prefix = `rbbs-${randomBytes(3).toString('hex')}`;
  const env = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    PORT: String(port),
    REDIS_URL: redisUrl,
    DOCKER_HOST: `unix://${labEnv().dockerSocket}`,
    TARGETS_FILE: targetsFile,
    APPROVERS: 'U_BOB',
    REPORTS_DIR: join(dir, 'reports'),
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    ...secrets,
  };
  const bot = new WorkerProcess('bot', env, 'bot');
  const worker = new WorkerProcess('worker', { ...env, PORT: String(await freePort()) }, 'worker');
  const origin = `http://127.0.0.1:${port}`;
  slack.botUrl = `${origin}/slack/events`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${origin}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (i > 600) throw new Error(`the bot never became ready: ${bot.stderr.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const connection = redisFor(redisUrl, 'worker');
  const store = new RedisRunStore(connection, prefix);
  /** The bot's own histogram of its answers to Slack: cumulative count per bucket bound (s). */
  const ackBuckets = async () => {
    const text = await (await fetch(`${origin}/metrics`)).text();
    const out = new Map<string, number>();
    for (const m of text.matchAll(
      /^runbook_bot_slack_ack_seconds_bucket\{le="([^"]+)",status="\d+"\} (\d+)$/gm,
    ))
      out.set(m[1] ?? '', (out.get(m[1] ?? '') ?? 0) + Number(m[2]));
    return out;
  };
  return {
    slack,
    ackBuckets,
    load: (id: string) => store.load(id),
    async close() {
      await Promise.all([bot.stop(), worker.stop()]);
      connection.disconnect();
      await slack.close();
    },
  };
}

/** "p50 ≤ 10 ms, p99 ≤ 50 ms (97 % within 50 ms)" for the answers between two histogram reads. */
export function bucketQuantiles(before: Map<string, number>, after: Map<string, number>): string {
  const bounds = [...after.keys()].filter((k) => k !== '+Inf').sort((a, b) => Number(a) - Number(b));
  const delta = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
  const total = delta('+Inf');
  const within = (q: number) => {
    const k = bounds.find((b) => delta(b) >= q * total);
    return k === undefined ? '> 3000 ms' : `≤ ${Math.round(Number(k) * 1000)} ms`;
  };
  const in50 = total ? Math.round((100 * delta('0.05')) / total) : 0;
  return `n=${total}  p50 ${within(0.5)}  p99 ${within(0.99)}  (${in50} % within 50 ms)`;
}
