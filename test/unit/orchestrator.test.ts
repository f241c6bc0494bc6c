import { describe, expect, it } from 'vitest';
import { IncidentReports } from '../../src/incidents/incident-reports.js';
import { Orchestrator } from '../../src/incidents/orchestrator.js';
import type { Dispatcher, Notifier, StepJob } from '../../src/incidents/ports.js';
import { catalogueOf, type Runbook } from '../../src/runbooks/index.js';
import { MemoryReportStore } from '../support/memory-report-store.js';
import { MemoryStore } from '../support/memory-store.js';
import { toyToApproval } from '../support/toy-incident.js';
import { res, toyRunbook, toyTarget } from '../support/toy-runbook.js';

// The orchestrator's own duties, with the store, queue and Slack replaced by fakes: the outbox
// survives a failing command, and approvals are consumed exactly once.
const rb = toyRunbook();
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function setup(
  opts: {
    notifierFails?: () => boolean;
    runbook?: Runbook;
    slackAnswers?: Promise<void>;
    queueFails?: boolean;
  } = {},
) {
  const book = opts.runbook ?? rb;
  const store = new MemoryStore();
  const steps: StepJob[] = [];
  // Like BullMQ, a second job with an id already taken is dropped: dispatch may repeat, by design.
  const dispatcher: Dispatcher = {
    enqueueStep: async (job) => {
      if (opts.queueFails) throw new Error('the step queue is down');
      order.push(`step:${job.stepKey}`);
      if (!steps.some((j) => j.jobId === job.jobId)) steps.push(job);
    },
    enqueueEvent: async () => undefined,
  };
  const seen: string[] = [];
  // What happened, in order: each step job as it is queued, each notification as it is handed.
  const order: string[] = [];
  const notifier: Notifier = {
    handle: async (_rec, c) => {
      await opts.slackAnswers;
      if (opts.notifierFails?.()) throw new Error('slack is down');
      seen.push(c.type);
      order.push(`notify:${c.type}`);
    },
  };
  const reportStore = new MemoryReportStore();
  const reports = new IncidentReports({
    runbooks: () => book,
    store: reportStore,
    secrets: () => [],
    now: () => 1_000,
  });
  const o = new Orchestrator({
    store,
    dispatcher,
    notifier,
    targets: { view: (n) => (n === 'cache' ? toyTarget : undefined), names: () => ['cache'] },
    catalogue: catalogueOf([book]),
    reports,
    policy: { approvers: ['U_A', 'U_B'], allowSelfApproval: false },
    approvalTtlMs: 60_000,
    now: () => 1_000,
    log: silent,
  });
  return { store, steps, seen, order, o, reportStore };
}

describe('orchestrator', () => {
  it('a failing notifier command stays in the outbox while the step jobs still go out; the next flush delivers it', async () => {
    let down = true;
    const s = setup({ notifierFails: () => down });
    expect(await s.o.start({ runbookId: 'toy', targetName: 'cache', startedBy: 'U_ON' })).toEqual({
      ok: true,
      id: 'INC-0001',
    });
    expect(s.steps.map((j) => j.stepKey)).toEqual(['a', 'b']);
    expect((await s.store.outbox('INC-0001')).map((e) => e.command.type)).toEqual(['status']);
    expect(await s.store.pendingOutboxes()).toEqual(['INC-0001']);
    down = false;
    expect(await s.o.recover()).toBe(1);
    expect(s.seen).toEqual(['status']);
    expect(await s.store.pendingOutboxes()).toEqual([]);
  });

  it('a Slack that does not answer holds back no step result: the incident reaches its approval, then the posts follow in order', async () => {
    let answer: () => void = () => {};
    const s = setup({ slackAnswers: new Promise<void>((r) => (answer = r)) });
    const reached = await Promise.race([
      toyToApproval(s.o, s.store).then(() => 'approval'),
      new Promise((r) => setTimeout(() => r('stuck behind Slack'), 2000)),
    ]);
    expect(reached).toBe('approval');
    expect((await s.store.load('INC-0001'))?.state.status).toBe('awaiting-approval');
    expect(s.seen).toEqual([]);
    answer();
    await s.o.idle();
    expect(s.seen.length).toBeGreaterThan(1);
    expect(s.seen[0]).toBe('status');
    expect(s.seen).toContain('request-approval');
    expect(await s.store.pendingOutboxes()).toEqual([]);
  });

  it('a step job that cannot be queued holds back no post, and stays in the outbox', async () => {
    const s = setup({ queueFails: true });
    expect(await s.o.start({ runbookId: 'toy', targetName: 'cache', startedBy: 'U_ON' })).toMatchObject({
      ok: true,
    });
    await s.o.idle();
    expect(s.seen).toEqual(['status']);
    expect((await s.store.outbox('INC-0001')).map((e) => e.command.type)).toEqual(['execute', 'execute']);
  });

  it('step jobs go out before Slack is told anything: a slow Slack never delays the diagnosis', async () => {
    const s = setup();
    await s.o.start({ runbookId: 'toy', targetName: 'cache', startedBy: 'U_ON' });
    const firstNotice = s.order.findIndex((x) => x.startsWith('notify:'));
    expect(firstNotice).toBeGreaterThan(0);
    expect(s.order.slice(0, firstNotice)).toEqual(['step:a', 'step:b']);
  });

  it('results arriving together are applied together: one read and one write for all that came during the last write', async () => {
    const s = setup();
    await s.o.start({ runbookId: 'toy', targetName: 'cache', startedBy: 'U_ON' });
    const counted = { load: 0, save: 0 };
    const { load, save } = { load: s.store.load.bind(s.store), save: s.store.save.bind(s.store) };
    // The posts read the record afresh off the step path; only the applies' reads count here.
    s.store.load = (id) => {
      if (!new Error().stack?.includes('flushNotices')) counted.load++;
      return load(id);
    };
    s.store.save = (...a) => {
      counted.save++;
      return save(...a);
    };
    const before = (await s.store.load('INC-0001'))?.version ?? 0;
    counted.load = 0;
    const result = (stepKey: string) =>
      s.o.apply('INC-0001', { type: 'step-result', stepKey, attempt: 1, results: [res(stepKey)] });
    const answers = await Promise.all([result('a'), result('b'), result('a'), result('b')]);
    // Each caller gets the state as its own event left it: the repeat of `a` changes nothing.
    expect(answers.map((x) => x?.ignored)).toEqual([
      undefined,
      undefined,
      'duplicate-result',
      'duplicate-result',
    ]);
    expect(counted).toEqual({ load: 2, save: 2 });
    const after = await s.store.load('INC-0001');
    expect(after?.version).toBe(before + 2);
    expect(['a', 'b'].map((k) => after?.state.steps[k]?.status)).toEqual(['done', 'done']);
  });

  it('after a write the step path reads nothing again: the save hands back the outbox', async () => {
    const s = setup();
    const counted = { load: 0, outbox: 0 };
    const { load, outbox } = { load: s.store.load.bind(s.store), outbox: s.store.outbox.bind(s.store) };
    // The posts read afresh off the step path; only what the applies read counts here.
    const onStepPath = () => !new Error().stack?.includes('flushNotices');
    s.store.load = (id) => {
      if (onStepPath()) counted.load++;
      return load(id);
    };
    s.store.outbox = (id) => {
      if (onStepPath()) counted.outbox++;
      return outbox(id);
    };
    await s.o.start({ runbookId: 'toy', targetName: 'cache', startedBy: 'U_ON' });
    expect(counted).toEqual({ load: 0, outbox: 0 });
    await s.o.apply('INC-0001', { type: 'step-result', stepKey: 'a', attempt: 1, results: [res('a')] });
    expect(counted).toEqual({ load: 1, outbox: 0 });
    // The step the result unlocked was queued all the same.
    expect(s.steps.map((j) => j.stepKey)).toEqual(['a', 'b', 'c']);
  });

  it('an event the engine cannot take fails alone: the others that came with it are still applied', async () => {
    const toy = toyRunbook();
    const a = toy.steps.find((x) => x.id === 'a');
    if (a?.kind !== 'diagnose') throw new Error('no step a');
    const analyze = a.analyze;
    a.analyze = (r, ctx) => {
      if (r.stdout === 'boom') throw new Error('analyzer bug');
      return analyze(r, ctx);
    };
    const s = setup({ runbook: toy });
    await s.o.start({ runbookId: 'toy', targetName: 'cache', startedBy: 'U_ON' });
    const result = (stepKey: string, out: string) =>
      s.o.apply('INC-0001', { type: 'step-result', stepKey, attempt: 1, results: [res(out)] });
    // The first runs alone; the two behind it are one batch, which the bad one would fail whole.
    const [, bad, good] = await Promise.allSettled([
      result('nope', 'x'),
      result('a', 'boom'),
      result('b', 'fine'),
    ]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: 'analyzer bug' } });
    expect(good.status).toBe('fulfilled');
    const state = (await s.store.load('INC-0001'))?.state;
    expect([state?.steps.a?.status, state?.steps.b?.status]).toEqual(['running', 'done']);
  });

  it('ten concurrent approvals: one wins, nine are told who decided, one repair job', async () => {
    const s = setup();
    const id = (await toyToApproval(s.o, s.store)).id;
    const a = Object.values((await s.store.load(id))?.state.approvals ?? {})[0];
    if (!a) throw new Error('no approval');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.o.decide(id, a.id, 'approve', i % 2 ? 'U_A' : 'U_B')),
    );
    expect(answers.filter((x) => x.ok)).toHaveLength(1);
    expect(s.steps.filter((j) => j.kind === 'repair')).toHaveLength(1);
    expect(s.steps.find((j) => j.kind === 'repair')?.approvalId).toBe(a.id);
  });

  it('the starter and strangers are refused before the engine sees anything', async () => {
    const s = setup();
    const id = (await toyToApproval(s.o, s.store)).id;
    const a = Object.values((await s.store.load(id))?.state.approvals ?? {})[0];
    if (!a) throw new Error('no approval');
    const before = (await s.store.load(id))?.version;
    expect(await s.o.decide(id, a.id, 'approve', 'U_ON')).toMatchObject({
      ok: false,
      refusal: { code: 'not-an-approver' },
    });
    expect(await s.o.decide(id, 'INC-0001-nope-1', 'approve', 'U_A')).toMatchObject({
      ok: false,
      refusal: { code: 'unknown-approval' },
    });
    expect((await s.store.load(id))?.version).toBe(before);
    expect(s.steps.some((j) => j.kind === 'repair')).toBe(false);
  });

  it('an incident started without Slack still files its report when it ends, once per finish', async () => {
    const s = setup();
    const id = (await toyToApproval(s.o, s.store)).id;
    expect(s.reportStore.reports.size).toBe(0);
    expect(await s.o.cancel(id, 'U_ON')).toMatchObject({ state: { status: 'cancelled' } });
    await s.o.idle();
    expect(s.seen).toContain('finish');
    expect(s.reportStore.saves).toBe(1);
    const report = s.reportStore.reports.get(id) ?? '';
    expect(report).toMatch(new RegExp(`^# Incident report ${id}`, 'm'));
    expect(report).toMatch(/cancelled/i);
  });
});
