import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execIn, type LabScenario, labDocker, type ScenarioName, setupScenario } from '@runbook-bot/lab';
import type { LocalUser } from '@runbook-bot/local-slack';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BotHarness, botHarness, CHANNEL, type SlackMode } from '../support/bot-harness.js';
import { BotRedis } from '../support/bot-redis.js';
import { labEnv } from '../support/lab-run.js';

// The whole bot through Slack: slash commands and clicks from the local Slack to the real Bolt app
// wired by serve(), the run through BullMQ on a real Redis, the steps on the real lab. The same suite
// runs twice: signed HTTP requests, and Socket Mode envelopes (with the connection rotated mid-incident).
let redis: BotRedis;
let h: BotHarness | undefined;
let scenario: LabScenario | undefined;

const APPROVERS10 = Array.from({ length: 10 }, (_, i) => `U_AP${i}`);
const USERS: LocalUser[] = [
  { id: 'U_ALICE', name: 'alice' },
  { id: 'U_BOB', name: 'bob' },
  { id: 'U_CAROL', name: 'carol' },
  ...APPROVERS10.map((id) => ({ id, name: id.toLowerCase() })),
];

beforeAll(async () => {
  redis = await BotRedis.start();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await h?.close();
  await scenario?.teardown();
  h = undefined;
  scenario = undefined;
});

let mode: SlackMode = 'http';

async function setup(name: ScenarioName | null, o: Partial<Parameters<typeof botHarness>[0]> = {}) {
  const env = labEnv();
  scenario = name ? await setupScenario(name, { env, docker: labDocker(env) }) : undefined;
  h = await botHarness({
    redisUrl: redis.url,
    scenarios: scenario ? [scenario] : [],
    users: USERS,
    approvers: ['U_BOB', 'U_ALICE', ...APPROVERS10],
    mode,
    ...o,
  });
  return { s: scenario, h };
}

const repairs = async (x: BotHarness, id: string) =>
  Object.values((await x.orchestrator.load(id))?.state.steps ?? {}).filter((r) => r.kind === 'repair');

const ephemeralTo = (x: BotHarness, user: string, re: RegExp) =>
  x.slack.waitFor((s) => s.ephemerals.find((e) => e.user === user && re.test(e.text)), 10_000);

function reportOf(x: BotHarness, id: string) {
  const file = [...x.slack.store.files.values()].find((f) => f.filename === `${id}.md` && f.completed);
  return {
    uploaded: file ? (x.slack.fileText(file.id) ?? '') : '',
    share: file?.shares[0],
    onDisk: readFileSync(join(x.reportsDir, `${id}.md`), 'utf8'),
  };
}

const threadText = (x: BotHarness, rootTs: string) =>
  x.slack
    .thread(CHANNEL, rootTs)
    .map((m) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`)
    .join('\n');

/** Only HTTP requests are signed: a forged or stale one is refused before anything runs. */
async function refusesUnsigned(h: BotHarness) {
  const forged = await h.slack.slashCommand({
    userId: 'U_ALICE',
    channelId: CHANNEL,
    text: 'run redis-permissions cache',
    forgeSignature: true,
  });
  const stale = await h.slack.slashCommand({
    userId: 'U_ALICE',
    channelId: CHANNEL,
    text: 'run redis-permissions cache',
    timestampSec: Math.floor(Date.now() / 1000) - 6 * 60,
  });
  expect([forged.status, stale.status]).toEqual([401, 401]);
}

describe.each(['http', 'socket'] as const)('the Slack edge end to end over %s', (m) => {
  beforeAll(() => {
    mode = m;
  });

  it('refuses forged, stale and mistaken commands, and starts nothing', async () => {
    const { h } = await setup(null, {
      extraTargets: { cache: { redis: { docker: { container: 'rbb-never-started' } } } },
    });
    if (m === 'http') await refusesUnsigned(h);
    const unknownSub = await h.run('restart cache');
    expect(unknownSub.status).toBe(200);
    expect(JSON.stringify(unknownSub.json)).toMatch(/no subcommand `restart`.*\/incident run/s);
    const unknownTarget = await h.run('run redis-permissions nowhere');
    expect(JSON.stringify(unknownTarget.json)).toMatch(/no target `nowhere`.*Known targets: `cache`/);
    const unknownRunbook = await h.run('run redis-everything cache');
    expect(JSON.stringify(unknownRunbook.json)).toMatch(
      /no runbook.*`redis-connectivity`, `redis-permissions`/,
    );
    for (const r of [unknownSub, unknownTarget, unknownRunbook]) expect(r.elapsedMs).toBeLessThan(3000);

    // Nothing was posted and nothing started.
    expect(h.slack.messages(CHANNEL)).toHaveLength(0);
    const list = await h.run('list');
    expect(list.status).toBe(200);
    await ephemeralTo(h, 'U_ALICE', /No incidents in this channel yet/);
    expect((await fetch(`${h.origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.origin}/readyz`)).status).toBe(200);
    // Every answer to Slack is timed, refusals too: four commands answered 200 (and, over HTTP, the
    // unsigned ones refused 401).
    const metrics = await (await fetch(`${h.origin}/metrics`)).text();
    const count = (status: number) =>
      Number(
        new RegExp(`runbook_bot_slack_ack_seconds_count\\{status="${status}"\\} (\\d+)`).exec(metrics)?.[1] ??
          0,
      );
    if (m === 'http') {
      expect(count(200)).toBe(4);
      expect(count(401)).toBeGreaterThan(0);
    }
  });

  it('redis-permissions on rdb-permission: findings, refused clicks, ten approvals at once, one repair, report', async () => {
    const { s, h } = await setup('rdb-permission');
    if (!s) throw new Error('no scenario');
    const id = await h.start(`run redis-permissions ${s.targetName}`);
    const card = await h.card(id);
    const root = h.root(id);
    if (!root) throw new Error('no root message');
    expect(root.text).toContain('Waiting for approval');
    const thread = threadText(h, root.ts);
    // Findings with their evidence: the log line, the INFO field, the owner against the uid.
    expect(thread).toMatch(/Permission denied/);
    expect(thread).toMatch(/rdb_last_bgsave_status:err/);
    expect(thread).toMatch(/1001/);
    // The card: cause, exact command, target, risk, verification, expiry, undo, two buttons.
    const cardJson = JSON.stringify(card.blocks);
    expect(cardJson).toMatch(/Root cause/);
    expect(cardJson).toMatch(/chown -R -h 999:999 \/data\/\./);
    expect(cardJson).toContain(s.targetName);
    expect(cardJson).toMatch(/Risk/);
    expect(cardJson).toMatch(/Verified afterwards/);
    expect(cardJson).toMatch(/Expires:\*? \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(cardJson).toMatch(/Undo/);

    const click = (userId: string, extra: { value?: string } = {}) =>
      h.slack.clickButton({
        userId,
        channelId: CHANNEL,
        messageTs: card.ts,
        actionId: 'incident_approve',
        ...extra,
      });
    // Refusals, each with nothing executed.
    expect((await click('U_CAROL')).status).toBe(200);
    await ephemeralTo(h, 'U_CAROL', /not allowed to approve repairs\. Nothing was run\. Ask: <@U_BOB>/);
    await click('U_ALICE');
    await ephemeralTo(h, 'U_ALICE', /someone else must approve/);
    await click('U_BOB', { value: '{"v":1,"incident":"INC-0001; rm -rf /"}' });
    await ephemeralTo(h, 'U_BOB', /not valid/);
    await click('U_BOB', { value: 'approve-everything' });
    if (m === 'http') {
      const forged = await h.slack.clickButton({
        userId: 'U_BOB',
        channelId: CHANNEL,
        messageTs: card.ts,
        actionId: 'incident_approve',
        forgeSignature: true,
      });
      expect(forged.status).toBe(401);
    }
    expect(await repairs(h, id)).toHaveLength(0);
    expect((await h.orchestrator.load(id))?.state.status).toBe('awaiting-approval');

    if (m === 'socket') {
      // Slack rotates the connection while the card waits: the bot reconnects and the clicks arrive.
      const before = h.slack.store.connections.length;
      await h.slack.disconnect('refresh_requested');
      await h.slack.waitFor(
        (st) => st.connections.length > before && st.openConnections().length > 0,
        20_000,
      );
    }
    // Ten approvers click at once: one decision, one repair.
    const clicks = await Promise.all(APPROVERS10.map((u) => click(u)));
    expect(clicks.every((c) => c.status === 200 && c.elapsedMs < 3000)).toBe(true);
    await h.waitForStatus(id, ['resolved']);
    expect(await repairs(h, id)).toHaveLength(1);
    const winner = (await h.orchestrator.load(id))?.state.approvals;
    const decidedBy = Object.values(winner ?? {})[0]?.decidedBy ?? '';
    expect(APPROVERS10).toContain(decidedBy);
    await h.slack.waitFor(
      (st) =>
        APPROVERS10.filter((u) =>
          st.ephemerals.some((e) => e.user === u && /Already approved|You approved/.test(e.text)),
        ).length === 10,
    );
    // The real target is repaired.
    expect((await s.redisCli(['SET', 'k', 'v'])).stdout.trim()).toBe('OK');
    // The card says who decided and when; the root says resolved.
    await h.slack.waitFor((st) =>
      /Approved\* by <@U_AP\d>.* at \d{4}-/.test(JSON.stringify(st.message(CHANNEL, card.ts)?.blocks)),
    );
    expect(JSON.stringify(h.slack.message(CHANNEL, card.ts)?.blocks)).not.toContain('"Approve"');
    await h.slack.waitFor((st) => st.message(CHANNEL, root.ts)?.text.includes('Resolved'));

    // The report: uploaded in the thread and on disk, with cause, approver, command, passed verification.
    await h.slack.waitFor(
      (st) => [...st.files.values()].some((f) => f.filename === `${id}.md` && f.completed),
      20_000,
    );
    const r = reportOf(h, id);
    expect(r.share?.thread_ts).toBe(root.ts);
    expect(r.uploaded).toBe(r.onDisk);
    expect(r.onDisk).toMatch(/## Root cause/);
    expect(r.onDisk).toMatch(/owned by/i);
    expect(r.onDisk).toContain(decidedBy);
    expect(r.onDisk).toMatch(/chown -R -h 999:999 \/data\/\./);
    expect(r.onDisk).toMatch(/✅/);
    const summary = h.slack.thread(CHANNEL, root.ts).find((m) => m.files?.some((f) => f.name === `${id}.md`));
    expect(summary?.text).toMatch(/Incident report for \*INC-\d+\* \(Resolved\)/);

    // `/incident report <id>` posts it again.
    await h.run(`report ${id}`);
    await h.slack.waitFor(
      (st) => [...st.files.values()].filter((f) => f.filename === `${id}.md` && f.completed).length === 2,
    );
  });

  it('redis-connectivity on wrong-network: one approval, verified, a fresh look, no second card; the client gets PONG, report', async () => {
    const { s, h } = await setup('wrong-network');
    if (!s) throw new Error('no scenario');
    const id = await h.start(`run redis-connectivity ${s.targetName}`);
    const approved: string[] = [];
    for (const gate of ['approve-connect']) {
      const card = await h.card(id, `${id}-${gate}-`);
      await h.slack.clickButton({
        userId: 'U_BOB',
        channelId: CHANNEL,
        messageTs: card.ts,
        actionId: 'incident_approve',
      });
      await ephemeralTo(h, 'U_BOB', /You approved/);
      approved.push(card.ts);
    }
    await h.waitForStatus(id, ['resolved']);
    expect((await s.redisCli(['PING'], { from: 'client' })).stdout.trim()).toBe('PONG');
    const root = h.root(id);
    if (!root) throw new Error('no root message');
    await h.slack.waitFor((st) => st.message(CHANNEL, root.ts)?.text.includes('Resolved'));
    expect(threadText(h, root.ts)).toMatch(/Name or service not known|not on any network|network/i);
    for (const ts of approved)
      expect(JSON.stringify(h.slack.message(CHANNEL, ts)?.blocks)).toMatch(/Approved\* by <@U_BOB>/);
    // Once the client got PONG nothing more was needed, so nothing more was asked.
    expect(threadText(h, root.ts)).not.toMatch(/Restart the clients/);
    await h.slack.waitFor(
      (st) => [...st.files.values()].some((f) => f.filename === `${id}.md` && f.completed),
      20_000,
    );
    const r = reportOf(h, id);
    expect(r.uploaded).toBe(r.onDisk);
    expect(r.onDisk).toMatch(/## Root cause/);
    // People by name, from users.info, beside their ids.
    expect(r.onDisk).toContain('bob (U_BOB)');
    expect(r.onDisk).toMatch(/docker network connect \S+ \S+/);
    expect(r.onDisk).toMatch(/✅/);
  });

  it('an expired card refuses the click and runs nothing', async () => {
    const { s, h } = await setup('rdb-permission', { approvalTtl: '3s' });
    if (!s) throw new Error('no scenario');
    const id = await h.start(`run redis-permissions ${s.targetName}`);
    const card = await h.card(id);
    // The click comes from a client still showing the buttons (the card may already say "expired").
    const actions = (card.blocks ?? []).find((b) => (b as { type?: string }).type === 'actions') as
      | { block_id: string; elements: { value: string }[] }
      | undefined;
    if (!actions?.elements[0]) throw new Error('no buttons on the card');
    await h.waitForStatus(id, ['expired'], 20_000);
    await h.slack.clickButton({
      userId: 'U_BOB',
      channelId: CHANNEL,
      messageTs: card.ts,
      actionId: 'incident_approve',
      blockId: actions.block_id,
      value: actions.elements[0].value,
      allowStale: true,
    });
    await ephemeralTo(h, 'U_BOB', /expired at \d{4}-/);
    expect(await repairs(h, id)).toHaveLength(0);
    await h.slack.waitFor((st) =>
      /Expired\* unanswered/.test(JSON.stringify(st.message(CHANNEL, card.ts)?.blocks)),
    );
    const root = h.root(id);
    await h.slack.waitFor((st) => root && st.message(CHANNEL, root.ts)?.text.includes('Approval expired'));
    // Still broken: nothing was run.
    expect((await s.redisCli(['SET', 'k', 'v'])).stdout).toMatch(/MISCONF/);
  });

  it('a Redis password in command output appears nowhere: not in the report, Slack or the logs', async () => {
    const { s, h } = await setup('auth-refused');
    if (!s) throw new Error('no scenario');
    const [stale] = Object.values(s.env);
    const real = s.redisPassword;
    if (!stale || !real) throw new Error('the scenario holds no password');
    const container = s.target.redis.docker?.container ?? '';
    // Put both passwords into the Redis log, the way a client's connection URL or a command line would.
    const line = `client connect redis://:${stale}@cache:6379 failed; redis-cli -a ${real} ping`;
    const wrote = await execIn(
      labDocker(labEnv()),
      container,
      ['sh', '-c', `echo '${line}' > /proc/1/fd/1`],
      { user: 'redis' },
    );
    expect(wrote.exitCode).toBe(0);
    expect(await s.redisLogs()).toContain(stale);

    const id = await h.start(`run redis-connectivity ${s.targetName}`);
    // WRONGPASS has no automatic repair: the run ends escalated, and its report is written.
    await h.waitForStatus(id, ['escalated']);
    await h.slack.waitFor(
      (st) => [...st.files.values()].some((f) => f.filename === `${id}.md` && f.completed),
      20_000,
    );
    await h.run(`status ${id}`);
    await ephemeralTo(h, 'U_ALICE', new RegExp(`\\*${id}\\*`));
    const r = reportOf(h, id);
    const slackSide = JSON.stringify({
      messages: h.slack.store.messages,
      ephemerals: h.slack.store.ephemerals,
      responses: h.slack.store.responses,
      calls: h.slack.store.calls,
      files: [...h.slack.store.files.values()].map((f) => h.slack.fileText(f.id)),
    });
    const everywhere = [r.onDisk, r.uploaded, slackSide, h.logLines.join('\n')];
    // The password did go through command output: the log step read it, and the executor redacted it.
    const logs = (await h.orchestrator.load(id))?.state.steps.logs?.results[0]?.stdout ?? '';
    expect(logs).toMatch(/redis:\/\/:\[REDACTED\]@cache/);
    for (const text of everywhere) {
      expect(text).not.toContain(stale);
      expect(text).not.toContain(real);
    }
  });
});
