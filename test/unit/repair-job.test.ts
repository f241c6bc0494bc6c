import { describe, expect, it } from 'vitest';
import type { StepJob } from '../../src/incidents/ports.js';
import { runRepairJob } from '../../src/queue/repair-job.js';
import type { Action, EngineEvent } from '../../src/runbooks/index.js';
import { MemoryStore } from '../support/memory-store.js';
import { toyApprovedRepair } from '../support/toy-incident.js';
import { result, toyRunbook } from '../support/toy-runbook.js';

// The repair worker's duties with its edges faked: what runs, what is refused, and that the
// incident always hears back.
const rb = toyRunbook();
const look = () => rb;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A toy incident with its repair approved and issued: the job the queue would carry. */
async function approvedRepair() {
  const { state, cmd } = toyApprovedRepair();
  const store = new MemoryStore();
  await store.create({ id: 'INC-0001', targetName: 'cache', state, meta: {} }, []);
  const { type: _t, ...rest } = cmd;
  const job: StepJob = { ...rest, targetName: 'cache', runbookId: 'toy' };
  return { store, job };
}

function harness(store: MemoryStore, run: (a: Action) => Promise<ReturnType<typeof result>>) {
  const ran: string[] = [];
  const events: EngineEvent[] = [];
  const deps = {
    store,
    runbooks: look,
    runnerFor: () => ({
      run: async (a: Action) => {
        ran.push(a.kind === 'exec' ? a.argv.join(' ') : a.kind);
        return run(a);
      },
    }),
    lease: { acquire: async () => true, release: async () => undefined },
    emit: async (_job: StepJob, e: EngineEvent) => void events.push(e),
    log: silent,
  };
  const go = (job: StepJob) => runRepairJob(deps, { id: job.jobId, data: job });
  return { ran, events, go };
}

describe('repair job', () => {
  it('runs the approved actions in order and reports their results', async () => {
    const { store, job } = await approvedRepair();
    const h = harness(store, async () => result('ok'));
    await h.go(job);
    expect(h.ran).toEqual(['fix one', 'fix two']);
    expect(h.events).toEqual([
      expect.objectContaining({ type: 'step-result', stepKey: 'fix', results: [result('ok'), result('ok')] }),
    ]);
  });

  it('a second delivery of the same job runs nothing', async () => {
    const { store, job } = await approvedRepair();
    const h = harness(store, async () => result('ok'));
    await h.go(job);
    await h.go(job);
    expect(h.ran).toEqual(['fix one', 'fix two']);
    expect(h.events).toHaveLength(1);
  });

  it('a job whose actions differ from the approved ones is refused and runs nothing', async () => {
    const { store, job } = await approvedRepair();
    const h = harness(store, async () => result('ok'));
    await h.go({ ...job, actions: [{ kind: 'exec', place: { at: 'redis' }, argv: ['rm', '-rf', '/data'] }] });
    expect(h.ran).toEqual([]);
    expect(h.events).toEqual([
      expect.objectContaining({ notRun: 'the queued repair is not the one that was approved' }),
    ]);
  });

  it('a worker that fails before acting says "not run"; one that fails while acting says "interrupted"', async () => {
    const before = await approvedRepair();
    const failingStore = Object.assign(Object.create(before.store), {
      load: async () => {
        throw new Error('redis went away');
      },
    }) as MemoryStore;
    const h1 = harness(failingStore, async () => result('ok'));
    await h1.go(before.job);
    expect(h1.ran).toEqual([]);
    expect(h1.events).toEqual([
      expect.objectContaining({ notRun: 'the worker could not prepare it: redis went away' }),
    ]);

    const during = await approvedRepair();
    const h2 = harness(during.store, async (a) => {
      if (a.kind === 'exec' && a.argv[1] === 'two') throw new Error('executor bug');
      return result('ok');
    });
    await h2.go(during.job);
    expect(h2.ran).toEqual(['fix one', 'fix two']);
    expect(h2.events).toEqual([
      expect.objectContaining({
        type: 'repair-interrupted',
        reason: 'the worker failed while it ran: executor bug',
      }),
    ]);
  });
});
