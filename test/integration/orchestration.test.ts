import { type LabScenario, labDocker, type ScenarioName, setupScenario } from '@runbook-bot/lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BotRedis } from '../support/bot-redis.js';
import { labEnv } from '../support/lab-run.js';
import { type Harness, orchestrationHarness } from '../support/orchestration.js';

// The whole loop through BullMQ against a real Redis (with AOF) and the real lab.
let redis: BotRedis;
let h: Harness | undefined;
let scenario: LabScenario | undefined;

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

async function setup(name: ScenarioName, approvers = ['U_APPROVER'], approvalTtlMs?: number) {
  const env = labEnv();
  scenario = await setupScenario(name, { env, docker: labDocker(env) });
  h = await orchestrationHarness({
    redisUrl: redis.url,
    scenarios: [scenario],
    approvers,
    inProcessWorkers: true,
    ...(approvalTtlMs ? { approvalTtlMs } : {}),
  });
  return { s: scenario, h };
}

/** Starts an incident as the on-call person; a refusal here is a failure of the test. */
async function startRun(x: Harness, runbookId: string, targetName: string) {
  const r = await x.orchestrator.start({ runbookId, targetName, startedBy: 'U_ONCALL' });
  if (!r.ok) throw new Error(r.refusal.message);
  return r;
}

const repairStarts = (x: Harness) =>
  x.log.lines.filter((l) => l.msg === 'step started' && String(l.obj.jobId).includes('.chown-running.'))
    .length;

describe('orchestration through the queue', () => {
  it('redis-permissions on rdb-permission: diagnose, wait, approve, repair once, verify, resolved', async () => {
    const { s, h } = await setup('rdb-permission');
    const started = await startRun(h, 'redis-permissions', s.targetName);
    expect(started.id).toMatch(/^INC-\d{4}$/);
    await h.waitForStatus(started.id, ['awaiting-approval']);
    expect(repairStarts(h)).toBe(0);
    const a = await h.pendingApproval(started.id);
    expect(await h.orchestrator.decide(started.id, a.id, 'approve', 'U_APPROVER')).toMatchObject({
      ok: true,
    });
    await h.waitForStatus(started.id, ['resolved']);
    expect(repairStarts(h)).toBe(1);
    expect((await s.redisCli(['SET', 'k', 'v'])).stdout.trim()).toBe('OK');
  });

  it('wrong-network-bgsave through the queue: the network fixed and verified, then handed over, and persistence fixed in the incident it opened', async () => {
    const { s, h } = await setup('wrong-network-bgsave');
    const started = await startRun(h, 'redis-connectivity', s.targetName);
    await h.waitForStatus(started.id, ['awaiting-approval']);
    const connect = await h.pendingApproval(started.id);
    expect(connect.gateId).toBe('approve-connect');
    expect(connect.alsoFound).toEqual(['misconf']);
    await h.orchestrator.decide(started.id, connect.id, 'approve', 'U_APPROVER');
    await h.waitForStatus(started.id, ['handed-over']);
    const first = await h.store.load(started.id);
    expect(
      Object.values(first?.state.steps ?? {}).filter((r) => r.kind === 'repair' && r.verified),
    ).toHaveLength(1);
    expect(first?.state.outcome?.summary).toMatch(
      /Repaired and verified: Connect Redis to its clients' network/,
    );
    const next = await h.handedOverTo(started.id);
    await h.waitForStatus(next, ['awaiting-approval']);
    const chown = await h.pendingApproval(next);
    expect(chown.gateId).toBe('approve-chown-running');
    await h.orchestrator.decide(next, chown.id, 'approve', 'U_APPROVER');
    await h.waitForStatus(next, ['resolved']);
    expect((await s.redisCli(['PING'], { from: 'client' })).stdout.trim()).toBe('PONG');
    expect((await s.redisCli(['SET', 'k', 'v'])).stdout.trim()).toBe('OK');
  });

  it('ten simultaneous approvals of one repair lead to exactly one execution', async () => {
    const approvers = Array.from({ length: 10 }, (_, i) => `U_APPROVER${i}`);
    const { s, h } = await setup('rdb-permission', approvers);
    const started = await startRun(h, 'redis-permissions', s.targetName);
    await h.waitForStatus(started.id, ['awaiting-approval']);
    const a = await h.pendingApproval(started.id);
    const answers = await Promise.all(
      approvers.map((u) => h.orchestrator.decide(started.id, a.id, 'approve', u)),
    );
    expect(answers.filter((x) => x.ok)).toHaveLength(1);
    expect(answers.filter((x) => !x.ok).map((x) => !x.ok && x.refusal.code)).toEqual(
      Array(9).fill('already-decided'),
    );
    await h.waitForStatus(started.id, ['resolved']);
    expect(repairStarts(h)).toBe(1);
    const rec = await h.store.load(started.id);
    expect(Object.values(rec?.state.steps ?? {}).filter((r) => r.kind === 'repair')).toHaveLength(1);
  });

  it('the bot’s Redis restarted mid-run: the state survives and the run continues', async () => {
    const { s, h } = await setup('rdb-permission');
    const started = await startRun(h, 'redis-permissions', s.targetName);
    await h.waitForStatus(started.id, ['awaiting-approval']);
    const before = await h.store.load(started.id);
    await redis.restart();
    const after = await h.store.load(started.id);
    expect(after?.state).toEqual(before?.state);
    const a = await h.pendingApproval(started.id);
    await h.orchestrator.decide(started.id, a.id, 'approve', 'U_APPROVER');
    await h.waitForStatus(started.id, ['resolved'], 90_000);
  });

  it('refuses an approver who is not allowed, and the starter approving their own run', async () => {
    const { s, h } = await setup('rdb-permission', ['U_APPROVER', 'U_ONCALL']);
    const started = await startRun(h, 'redis-permissions', s.targetName);
    await h.waitForStatus(started.id, ['awaiting-approval']);
    const a = await h.pendingApproval(started.id);
    expect(await h.orchestrator.decide(started.id, a.id, 'approve', 'U_STRANGER')).toMatchObject({
      ok: false,
      refusal: { code: 'not-an-approver' },
    });
    expect(await h.orchestrator.decide(started.id, a.id, 'approve', 'U_ONCALL')).toMatchObject({
      ok: false,
      refusal: { code: 'self-approval' },
    });
    expect((await h.pendingApproval(started.id)).status).toBe('pending');
    expect(repairStarts(h)).toBe(0);
    await h.orchestrator.cancel(started.id, 'U_ONCALL');
    expect(await h.waitForStatus(started.id, ['cancelled'])).toBe('cancelled');
  });

  it('an approval nobody answers expires through a delayed event; a click after it is refused', async () => {
    const { s, h } = await setup('rdb-permission', ['U_APPROVER'], 1500);
    const started = await startRun(h, 'redis-permissions', s.targetName);
    await h.waitForStatus(started.id, ['awaiting-approval']);
    const a = await h.pendingApproval(started.id);
    await h.waitForStatus(started.id, ['expired'], 20_000);
    expect(await h.orchestrator.decide(started.id, a.id, 'approve', 'U_APPROVER')).toMatchObject({
      ok: false,
      refusal: { code: 'expired' },
    });
    expect(repairStarts(h)).toBe(0);
    expect((await s.redisCli(['SET', 'k', 'v'])).stdout).toMatch(/MISCONF/);
  });

  it('MISCONF found by redis-connectivity hands over to a new redis-permissions incident, once', async () => {
    const { s, h } = await setup('rdb-permission');
    const started = await startRun(h, 'redis-connectivity', s.targetName);
    await h.waitForStatus(started.id, ['handed-over']);
    const child = await h.handedOverTo(started.id);
    expect(child).toMatch(/^INC-\d{4}$/);
    await h.waitForStatus(child, ['awaiting-approval']);
    const rec = await h.store.load(child);
    expect(rec?.state.runbookId).toBe('redis-permissions');
    expect(rec?.meta.parent).toBe(started.id);
    expect(rec?.state.cause).toBe('owner-mismatch');
    // Re-dispatching the parent's commands (as after a crash) opens no second incident.
    await h.orchestrator.recover();
    expect((await h.store.recent(10)).map((r) => r.id).sort()).toEqual([started.id, child].sort());
  });

  it('an unknown runbook or target starts nothing and lists what is known', async () => {
    const { s, h } = await setup('healthy');
    expect(
      await h.orchestrator.start({ runbookId: 'nope', targetName: s.targetName, startedBy: 'U' }),
    ).toMatchObject({
      ok: false,
      refusal: { code: 'unknown-runbook', known: ['redis-connectivity', 'redis-permissions'] },
    });
    expect(
      await h.orchestrator.start({ runbookId: 'redis-permissions', targetName: 'nope', startedBy: 'U' }),
    ).toMatchObject({
      ok: false,
      refusal: { code: 'unknown-target', known: [s.targetName] },
    });
    expect(await h.store.recent(10)).toEqual([]);
  });
});
