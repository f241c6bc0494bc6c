import { labDocker, setupScenario } from '@runbook-bot/lab';
import { signV0 } from '@runbook-bot/local-slack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotHarness, botHarness, CHANNEL, SIGNING_SECRET } from '../support/bot-harness.js';
import { BotRedis } from '../support/bot-redis.js';
import { actionBody, prng, slashBody } from '../support/fuzz-payloads.js';
import { labEnv } from '../support/lab-run.js';

// Thousands of correctly signed but random or mutated slash commands and clicks against the running
// bot, while a real incident waits for its approval. The process must stay up and healthy, and the
// repair must not run: the senders are neither approvers nor the incident's starter (who may cancel).
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const COUNT = Number(process.env.FUZZ_COUNT ?? 3000);

let redis: BotRedis;
let h: BotHarness;
let teardown: () => Promise<void>;
let targetName = '';

beforeAll(async () => {
  redis = await BotRedis.start();
  const env = labEnv();
  const s = await setupScenario('rdb-permission', { env, docker: labDocker(env) });
  teardown = () => s.teardown();
  targetName = s.targetName;
  h = await botHarness({ redisUrl: redis.url, scenarios: [s], approvers: ['U_BOB'] });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await teardown?.();
  await redis?.stop();
});

describe('fuzzing the Slack edge', () => {
  it(`${COUNT} signed random requests: the bot stays up, answers each, and runs nothing unapproved`, async () => {
    const id = await h.start(`run redis-permissions ${targetName}`);
    expect(id).toBe('INC-0001');
    const card = await h.card(id);
    const real = await h.slack.clickButton({
      userId: 'U_CAROL',
      channelId: CHANNEL,
      messageTs: card.ts,
      actionId: 'incident_approve',
    });
    const clickPayload = JSON.parse(new URLSearchParams(real.request.body).get('payload') ?? '{}');
    const command = Object.fromEntries(new URLSearchParams((await h.run('status', 'U_CAROL')).request.body));
    const r = prng(SEED);
    const statuses = new Map<number, number>();
    const started = Date.now();
    for (let sent = 0; sent < COUNT; ) {
      const batch = Array.from({ length: Math.min(25, COUNT - sent) }, () => {
        const body = r.next() < 0.5 ? slashBody(r, command) : actionBody(r, clickPayload);
        const ts = Math.floor(Date.now() / 1000);
        return fetch(h.slack.botUrl ?? '', {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-slack-request-timestamp': String(ts),
            'x-slack-signature': signV0(SIGNING_SECRET, ts, body),
          },
          body,
        }).then((res) => res.status);
      });
      for (const status of await Promise.all(batch)) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      sent += batch.length;
    }
    const elapsed = Date.now() - started;
    console.log(`fuzz seed ${SEED}: ${COUNT} requests in ${elapsed} ms`, Object.fromEntries(statuses));
    const failures = new Set(
      h.logLines
        .filter((l) => /"level":(50|60)/.test(l))
        .map((l) => {
          const j = JSON.parse(l) as { msg: string; err?: string };
          return `${j.msg}: ${String(j.err).slice(0, 80)}`;
        }),
    );
    if (failures.size > 0) console.log([...failures].join('\n'));
    // Every request got an answer Slack understands (a 401 is a body repeated within a second, a
    // replay); none was a crash or a missed acknowledgement.
    expect([...statuses.keys()].every((s) => [200, 400, 401, 404].includes(s))).toBe(true);
    expect((await fetch(`${h.origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.origin}/readyz`)).status).toBe(200);
    const rec = await h.orchestrator.load(id);
    expect(Object.values(rec?.state.steps ?? {}).filter((s) => s.kind === 'repair')).toEqual([]);
    expect(Object.values(rec?.state.approvals ?? {}).map((a) => a.status)).toEqual(['pending']);
    // And the bot still works for a real approver.
    await h.slack.clickButton({
      userId: 'U_BOB',
      channelId: CHANNEL,
      messageTs: card.ts,
      actionId: 'incident_approve',
    });
    expect(await h.waitForStatus(id, ['resolved'])).toBe('resolved');
  }, 240_000);
});
