import { describe, expect, it } from 'vitest';
import { IncidentReports } from '../../src/incidents/incident-reports.js';
import { Orchestrator } from '../../src/incidents/orchestrator.js';
import type { Dispatcher, Notifier, StepJob } from '../../src/incidents/ports.js';
import type { EngineEvent, Runbook } from '../../src/runbooks/index.js';
import { catalogueOf } from '../../src/runbooks/index.js';
import { MemoryReportStore } from '../support/memory-report-store.js';
import { MemoryStore } from '../support/memory-store.js';
import { toyToApproval } from '../support/toy-incident.js';
import { toyRunbook, toyTarget } from '../support/toy-runbook.js';

// The orchestrator's refusals, retries and side commands, each checked for what it says and for
// what it leaves unchanged.

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function setup(
  o: { notifier?: Notifier; store?: MemoryStore; runbooks?: Runbook[]; now?: () => number } = {},
) {
  const rb = toyRunbook();
  const store = o.store ?? new MemoryStore();
  const steps: { job: StepJob; delayMs: number | undefined }[] = [];
  const events: { runId: string; event: EngineEvent; jobId: string; delayMs: number | undefined }[] = [];
  const dispatcher: Dispatcher = {
    enqueueStep: async (job, delayMs) => void steps.push({ job, delayMs }),
    enqueueEvent: async (runId, event, opts) =>
      void events.push({ runId, event, ...opts, delayMs: opts.delayMs }),
  };
  const o2 = new Orchestrator({
    store,
    dispatcher,
    notifier: o.notifier ?? { handle: async () => undefined },
    reports: new IncidentReports({
      runbooks: () => rb,
      store: new MemoryReportStore(),
      secrets: () => [],
      now: () => 0,
    }),
    targets: { view: (n) => (n === 'cache' ? toyTarget : undefined), names: () => ['cache'] },
    catalogue: catalogueOf(o.runbooks ?? [rb]),
    policy: { approvers: ['U_A', 'U_B'], allowSelfApproval: false },
    approvalTtlMs: 60_000,
    now: o.now ?? (() => 1_000),
    log: silent,
  });
  return { o: o2, store, steps, events, rb };
}

describe('starting an incident', () => {
  it('an unknown runbook or target is refused with what is known, and nothing is stored', async () => {
    const s = setup();
    expect(await s.o.start({ runbookId: 'nope', targetName: 'cache', startedBy: 'U_ON' })).toEqual({
      ok: false,
      refusal: { code: 'unknown-runbook', message: 'There is no runbook "nope".', known: ['toy'] },
    });
    expect(await s.o.start({ runbookId: 'toy', targetName: 'db', startedBy: 'U_ON' })).toEqual({
      ok: false,
      refusal: { code: 'unknown-target', message: 'There is no target "db".', known: ['cache'] },
    });
    expect(s.store.records.size).toBe(0);
    expect(s.steps).toEqual([]);
  });

  it('keeps the meta it was given and the runbooks handed over from', async () => {
    const s = setup();
    const r = await s.o.start({
      runbookId: 'toy',
      targetName: 'cache',
      startedBy: 'U_ON',
      meta: { channel: 'C9' },
      handedOverFrom: ['other'],
    });
    if (!r.ok) throw new Error('refused');
    const rec = await s.store.load(r.id);
    expect(rec?.meta).toEqual({ channel: 'C9' });
    expect(rec?.state.handedOverFrom).toEqual(['other']);
    expect(s.steps.map((x) => x.job.stepKey)).toEqual(['a', 'b']);
    expect(s.steps[0]?.job).toMatchObject({ targetName: 'cache', runbookId: 'toy', runId: r.id });
  });
});

describe('applying events', () => {
  it('an unknown incident gives null; an ignored event says why and writes nothing', async () => {
    const s = setup();
    expect(await s.o.apply('INC-0404', { type: 'cancel', by: 'U_ON' })).toBeNull();
    const { id } = await toyToApproval(s.o, s.store, { channel: 'C1' });
    const before = await s.store.load(id);
    const r = await s.o.apply(id, { type: 'step-result', stepKey: 'nope', attempt: 1, results: [] });
    expect(r?.ignored).toBe('unknown-step');
    expect((await s.store.load(id))?.version).toBe(before?.version);
  });

  it('a write that loses the race is retried on the fresh state', async () => {
    const store = new MemoryStore();
    let lose = 2;
    const racing = Object.assign(Object.create(store), {
      save: async (...args: Parameters<MemoryStore['save']>) => {
        if (lose-- > 0) return false;
        return store.save(...args);
      },
    }) as MemoryStore;
    const s = setup({ store: racing });
    const started = await s.o.start({ runbookId: 'toy', targetName: 'cache', startedBy: 'U_ON' });
    if (!started.ok) throw new Error('refused');
    const r = await s.o.apply(started.id, { type: 'cancel', by: 'U_ON' });
    expect(r?.state.status).toBe('cancelled');
    expect((await store.load(started.id))?.state.status).toBe('cancelled');
  });

  it('the expiry of an approval is scheduled for when it expires, as an event of its own', async () => {
    const s = setup();
    const { id, approvalId, expiresAt } = await toyToApproval(s.o, s.store, { channel: 'C1' });
    expect(s.events).toContainEqual({
      runId: id,
      event: { type: 'approval-expired', approvalId },
      jobId: `${approvalId}.expiry`,
      delayMs: expiresAt - 1_000,
    });
  });
});

describe('decisions', () => {
  it('an unknown incident or approval is refused before the engine sees it', async () => {
    const s = setup();
    expect(await s.o.decide('INC-0404', 'x', 'approve', 'U_A')).toEqual({
      ok: false,
      refusal: { code: 'unknown-incident', message: 'There is no incident INC-0404.' },
    });
    const { id } = await toyToApproval(s.o, s.store, { channel: 'C1' });
    expect(await s.o.decide(id, `${id}-nope-1`, 'approve', 'U_A')).toMatchObject({
      ok: false,
      refusal: { code: 'unknown-approval' },
    });
  });

  it('a second decision is told who decided, and when, as data', async () => {
    const s = setup();
    const { id, approvalId } = await toyToApproval(s.o, s.store, { channel: 'C1' });
    expect(await s.o.decide(id, approvalId, 'reject', 'U_B')).toMatchObject({ ok: true });
    expect(await s.o.decide(id, approvalId, 'approve', 'U_A')).toEqual({
      ok: false,
      refusal: {
        code: 'already-decided',
        message: 'Already rejected by U_B at 1970-01-01T00:00:01Z.',
        status: 'rejected',
        decidedBy: 'U_B',
        decidedAt: 1_000,
      },
    });
  });

  it('an expired approval is refused as expired, with its expiry', async () => {
    let now = 1_000;
    const s = setup({ now: () => now });
    const { id, approvalId, expiresAt } = await toyToApproval(s.o, s.store, { channel: 'C1' });
    now = expiresAt + 1;
    expect(await s.o.decide(id, approvalId, 'approve', 'U_A')).toEqual({
      ok: false,
      refusal: {
        code: 'expired',
        message: 'This approval expired at 1970-01-01T00:01:01Z; nothing was run.',
      },
    });
    expect(s.steps.some((x) => x.job.kind === 'repair')).toBe(false);
  });

  it('on an incident that has ended, a pending card is refused as finished or withdrawn, never run', async () => {
    const s = setup();
    const { id, approvalId } = await toyToApproval(s.o, s.store, { channel: 'C1' });
    await s.o.cancel(id, 'U_ON');
    const r = await s.o.decide(id, approvalId, 'approve', 'U_A');
    expect(r.ok).toBe(false);
    expect(s.steps.some((x) => x.job.kind === 'repair')).toBe(false);
  });
});

describe('carrying out commands', () => {
  it('one command failing does not hold back the others, and is left in the outbox', async () => {
    let calls = 0;
    const s = setup({
      notifier: {
        handle: async (_r, c) => {
          calls += 1;
          if (c.type === 'status') throw new Error('slack is down');
        },
      },
    });
    const started = await s.o.start({ runbookId: 'toy', targetName: 'cache', startedBy: 'U_ON' });
    if (!started.ok) throw new Error('refused');
    expect(s.steps).toHaveLength(2);
    expect((await s.store.outbox(started.id)).map((e) => e.command.type)).toEqual(['status']);
    await expect(s.o.flush(started.id)).rejects.toThrow('slack is down');
    expect(calls).toBe(2);
  });

  it('a handover starts the next incident once, in the same channel, linked both ways', async () => {
    const other: Runbook = { ...toyRunbook(), id: 'other' };
    const s = setup({ runbooks: [toyRunbook(), other] });
    const started = await s.o.start({
      runbookId: 'toy',
      targetName: 'cache',
      startedBy: 'U_ON',
      meta: { channel: 'C1' },
    });
    if (!started.ok) throw new Error('refused');
    const rec = await s.store.load(started.id);
    if (!rec) throw new Error('gone');
    await s.store.save(started.id, rec.version, rec.state, [
      { type: 'handover', runId: started.id, runbookId: 'other' },
    ]);
    await s.o.flush(started.id);
    await s.store.save(started.id, rec.version + 1, rec.state, [
      { type: 'handover', runId: started.id, runbookId: 'other' },
    ]);
    await s.o.flush(started.id);
    const next = [...s.store.records.values()].filter((r) => r.state.runbookId === 'other');
    expect(next).toHaveLength(1);
    expect(next[0]?.meta).toEqual({ channel: 'C1', parent: started.id });
    expect(next[0]?.state.handedOverFrom).toEqual(['toy']);
    expect((await s.store.load(started.id))?.meta.handedOverTo).toBe(next[0]?.id);
  });
});
