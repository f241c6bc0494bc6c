import { type LabScenario, labDocker, type ScenarioName, setupScenario } from '@runbook-bot/lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL } from '../../src/runbooks/index.js';
import { BotRedis } from '../support/bot-redis.js';
import { labEnv } from '../support/lab-run.js';
import { type Harness, orchestrationHarness } from '../support/orchestration.js';
import { type LogLine, WorkerProcess } from '../support/worker-process.js';

// Real `serve --role worker` processes against a real Redis and the lab, killed with SIGKILL.
let redis: BotRedis;
let h: Harness | undefined;
let scenario: LabScenario | undefined;
let workers: WorkerProcess[] = [];

beforeAll(async () => {
  redis = await BotRedis.start();
});
afterAll(async () => {
  await redis.stop();
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  workers = [];
  await h?.close();
  await scenario?.teardown();
  h = undefined;
  scenario = undefined;
});

async function setup(name: ScenarioName, count: number, concurrency = '4') {
  const env = labEnv();
  scenario = await setupScenario(name, { env, docker: labDocker(env) });
  h = await orchestrationHarness({ redisUrl: redis.url, scenarios: [scenario] });
  const harness = h;
  workers = Array.from(
    { length: count },
    (_, i) => new WorkerProcess(`w${i}`, harness.workerEnv({ WORKER_CONCURRENCY: concurrency })),
  );
  return { s: scenario, h };
}

const starts = () =>
  workers.flatMap((w) => w.started().map((l) => ({ worker: w.name, jobId: String(l.jobId) })));
const firstStart = (pred: (l: LogLine) => boolean) =>
  Promise.any(workers.map((w) => w.waitFor((l) => l.msg === 'step started' && pred(l)).then(() => w)));

async function start(h: Harness, runbookId: string, targetName: string) {
  const r = await h.orchestrator.start({ runbookId, targetName, startedBy: 'U_ONCALL' });
  if (!r.ok) throw new Error(r.refusal.message);
  return r.id;
}

function finishedOnce(state: NonNullable<Awaited<ReturnType<Harness['store']['load']>>>['state']) {
  const finished = state.timeline.filter((t) => t.kind === 'step-finished').map((t) => t.step);
  return { finished, unique: new Set(finished).size };
}

describe('worker processes', () => {
  it('two workers share one run’s steps, and no step runs twice', async () => {
    const { s, h } = await setup('healthy', 2, '1');
    const id = await start(h, 'redis-connectivity', s.targetName);
    await h.waitForStatus(id, ['no-fault']);
    const jobs = starts();
    expect(new Set(jobs.map((j) => j.jobId)).size).toBe(jobs.length);
    expect(new Set(jobs.map((j) => j.worker))).toEqual(new Set(['w0', 'w1']));
    const rec = await h.store.load(id);
    const ran = Object.values(rec?.state.steps ?? {}).filter((r) => r.status === 'done');
    expect(jobs.length).toBe(ran.length);
  });

  it('a worker killed mid-diagnosis: another picks the step up, the run completes, each step recorded once', async () => {
    const { s, h } = await setup('healthy', 2);
    const docker = labDocker(labEnv());
    const redisContainer = docker.getContainer(s.target.redis.docker?.container ?? '');
    // A paused Redis accepts the client's TCP connection but never answers: that step hangs.
    await redisContainer.pause();
    const id = await start(h, 'redis-connectivity', s.targetName);
    const victim = await firstStart((l) => String(l.step).startsWith('client-ping@'));
    await victim.kill('SIGKILL');
    await redisContainer.unpause();
    const status = await h.waitForStatus(id, [...TERMINAL], 90_000);
    expect(TERMINAL.has(status)).toBe(true);
    const survivor = workers.find((w) => w !== victim);
    expect(survivor?.started().some((l) => String(l.step).startsWith('client-ping@'))).toBe(true);
    const rec = await h.store.load(id);
    if (!rec) throw new Error('no record');
    const { finished, unique } = finishedOnce(rec.state);
    expect(unique).toBe(finished.length);
    expect(Object.values(rec.state.steps).every((r) => r.status !== 'running')).toBe(true);
  });

  it('a worker killed mid-repair: the repair is not run again and the run says it was interrupted', async () => {
    const { s, h } = await setup('maxclients', 2);
    const id = await start(h, 'redis-connectivity', s.targetName);
    await h.waitForStatus(id, ['awaiting-approval']);
    const a = await h.pendingApproval(id);
    expect(a.gateId).toBe('approve-restart-holder');
    await h.orchestrator.decide(id, a.id, 'approve', 'U_APPROVER');
    const victim = await firstStart((l) => String(l.jobId).includes('.restart-holder.'));
    await victim.kill('SIGKILL');
    await h.waitForStatus(id, ['interrupted'], 60_000);
    // Give any (wrong) second attempt time to show itself before counting.
    await new Promise((r) => setTimeout(r, 3000));
    expect(starts().filter((j) => j.jobId.includes('.restart-holder.'))).toHaveLength(1);
    const rec = await h.store.load(id);
    expect(rec?.state.steps['restart-holder']?.status).toBe('interrupted');
    expect(rec?.state.outcome?.summary).toMatch(/was not run again: a person must check/);
  });
});
