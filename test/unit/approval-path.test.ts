import { describe, expect, it } from 'vitest';
import { handleDecision } from '../../src/bot/approval-handler.js';
import { encodeButtonValue } from '../../src/bot/button-value.js';
import type { EdgeDeps } from '../../src/bot/command-handlers.js';
import { mayDecide } from '../../src/incidents/approval-policy.js';
import { IncidentReports } from '../../src/incidents/incident-reports.js';
import { Orchestrator } from '../../src/incidents/orchestrator.js';
import type { Dispatcher, StepJob } from '../../src/incidents/ports.js';
import type { EngineCommand, RunState } from '../../src/runbooks/index.js';
import { advance, catalogueOf, repairClearance } from '../../src/runbooks/index.js';
import { MemoryReportStore } from '../support/memory-report-store.js';
import { MemoryStore } from '../support/memory-store.js';
import { toyApprovedRepair } from '../support/toy-incident.js';
import { toyRunbook, toyTarget } from '../support/toy-runbook.js';

// The approval path, one guard at a time: each test fails if its guard is removed (they were found
// by mutation testing, which showed these guards could go without a test noticing).

const rb = toyRunbook();
const look = () => rb;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('who may decide', () => {
  const policy = { approvers: ['U_A', 'U_B'], allowSelfApproval: false };

  it('an approver who did not start the incident may', () => {
    expect(mayDecide(policy, 'U_A', 'U_ON')).toBeNull();
  });

  it('the starter may not approve their own incident, even as an approver, unless self-approval is on', () => {
    expect(mayDecide(policy, 'U_A', 'U_A')).toMatchObject({ code: 'self-approval' });
    expect(mayDecide({ ...policy, allowSelfApproval: true }, 'U_A', 'U_A')).toBeNull();
  });

  it('someone not in the list may not, and an empty list lets nobody', () => {
    expect(mayDecide(policy, 'U_X', 'U_ON')).toMatchObject({ code: 'not-an-approver' });
    expect(mayDecide({ ...policy, approvers: [] }, 'U_A', 'U_ON')?.message).toMatch(/Nobody is allowed/);
  });
});

describe('a click with a bad button value', () => {
  // Every dependency throws: a bad value must be refused before anything is looked up or decided.
  const untouchable = (): EdgeDeps => {
    const boom = () => {
      throw new Error('looked up before the value was decoded');
    };
    return {
      orchestrator: { start: boom, decide: boom, cancel: boom, load: boom },
      store: { recent: boom },
      reports: {} as EdgeDeps['reports'],
      refresh: boom,
      approvers: ['U_A'],
      ping: boom,
      log: silent,
    };
  };
  const click = { user: { id: 'U_A' }, channel: { id: 'C1' }, container: { message_ts: '1.1' } };

  for (const [what, action] of [
    ['no value', { type: 'button' }],
    ['not JSON', { type: 'button', value: 'approve everything' }],
    ['another incident’s approval', { type: 'button', value: encodeButtonValue('INC-0001', 'INC-0002-g-1') }],
    ['not a button', { type: 'static_select', value: encodeButtonValue('INC-0001', 'INC-0001-g-1') }],
  ] as const)
    it(`${what}: refused, nothing looked up`, async () => {
      const reply = await handleDecision('approve', click, action, untouchable());
      expect(reply).toMatch(/This button is not valid/);
    });
});

describe('may this repair run now', () => {
  it('while the run waits for exactly this repair under its approval: yes, with the approved actions', () => {
    const { state, cmd } = toyApprovedRepair();
    expect(repairClearance(state, cmd)).toEqual({ ok: true, actions: cmd.actions });
  });

  it('once the incident is cancelled: no, it is no longer waiting for this repair', () => {
    const { state, cmd } = toyApprovedRepair();
    const cancelled = advance(state, { type: 'cancel', by: 'U_ON' }, 3, look).state;
    expect(repairClearance(cancelled, cmd)).toEqual({
      ok: false,
      refused: `the incident is no longer waiting for this repair (${cancelled.status})`,
    });
  });

  it('another step key, another approval or other actions: no', () => {
    const { state, cmd } = toyApprovedRepair();
    expect(repairClearance(state, { ...cmd, stepKey: 'a' })).toMatchObject({ ok: false });
    expect(repairClearance(state, { ...cmd, approvalId: 'INC-0001-other-1' })).toEqual({
      ok: false,
      refused: 'its approval is not in force',
    });
    expect(repairClearance(state, { ...cmd, actions: [] })).toEqual({
      ok: false,
      refused: 'the queued repair is not the one that was approved',
    });
  });
});

describe('the orchestrator and a finished run', () => {
  it('drops diagnosis steps left in the outbox of a finished run, but still hands on a repair already decided', async () => {
    const { state, cmd } = toyApprovedRepair();
    const finished: RunState = { ...state, status: 'cancelled' };
    const store = new MemoryStore();
    const diagnose: EngineCommand = {
      ...cmd,
      kind: 'diagnose',
      stepKey: 'a',
      stepId: 'a',
      jobId: 'INC-0001.a.a2',
    };
    await store.create({ id: 'INC-0001', targetName: 'cache', state: finished, meta: {} }, [diagnose, cmd]);
    const queued: StepJob[] = [];
    const dispatcher: Dispatcher = {
      enqueueStep: async (job) => void queued.push(job),
      enqueueEvent: async () => undefined,
    };
    const reports = new IncidentReports({
      runbooks: look,
      store: new MemoryReportStore(),
      secrets: () => [],
      now: () => 5,
    });
    const o = new Orchestrator({
      store,
      dispatcher,
      notifier: { handle: async () => undefined },
      targets: { view: () => toyTarget, names: () => ['cache'] },
      catalogue: catalogueOf([rb]),
      reports,
      policy: { approvers: ['U_A'], allowSelfApproval: false },
      approvalTtlMs: 60_000,
      now: () => 5,
      log: silent,
    });
    await o.recover();
    // The repair job itself re-checks its clearance and reports "not run"; the diagnosis never queues.
    expect(queued.map((j) => j.kind)).toEqual(['repair']);
    expect(await store.outbox('INC-0001')).toEqual([]);
  });
});

describe('a click on a real card', () => {
  const CARD_TS = '1700000000.000100';
  const value = encodeButtonValue('INC-0001', 'INC-0001-approve-fix-1');
  function deps(o: {
    ping?: boolean;
    meta?: Record<string, string>;
    decided?: Awaited<ReturnType<EdgeDeps['orchestrator']['decide']>>;
    metaLate?: number;
  }) {
    const calls: string[] = [];
    let loads = 0;
    const { state } = toyApprovedRepair();
    const d: EdgeDeps = {
      orchestrator: {
        start: async () => {
          throw new Error('not here');
        },
        cancel: async () => null,
        load: async () => {
          loads += 1;
          const late = loads <= (o.metaLate ?? 0);
          return {
            id: 'INC-0001',
            targetName: 'cache',
            state,
            version: 3,
            meta: late
              ? { channel: 'C1' }
              : { channel: 'C1', 'card.INC-0001-approve-fix-1': CARD_TS, ...o.meta },
          };
        },
        decide: async (...args) => {
          calls.push(`decide ${args.join(' ')}`);
          return o.decided ?? { ok: true, state };
        },
      },
      store: { recent: async () => [] },
      reports: {} as EdgeDeps['reports'],
      refresh: async (id) => void calls.push(`refresh ${id}`),
      approvers: ['U_A'],
      ping: async () => o.ping ?? true,
      log: silent,
    };
    return { d, calls, loads: () => loads };
  }
  const click = (over: { ts?: string; channel?: string } = {}) => ({
    user: { id: 'U_A' },
    channel: { id: over.channel ?? 'C1' },
    container: { message_ts: over.ts ?? CARD_TS },
  });
  const button = { type: 'button', value };

  it('approve: decided by the clicker, the card refreshed, and the reply says the repair runs', async () => {
    const h = deps({});
    const reply = await handleDecision('approve', click(), button, h.d);
    expect(h.calls).toEqual(['decide INC-0001 INC-0001-approve-fix-1 approve U_A', 'refresh INC-0001']);
    expect(reply).toMatch(/^:white_check_mark: You approved "fix it" at .+\. The repair runs now/);
  });

  it('reject: the reply says nothing was run', async () => {
    const h = deps({});
    expect(await handleDecision('reject', click(), button, h.d)).toBe(
      ':no_entry: You rejected "fix it". Nothing was run.',
    );
    expect(h.calls[0]).toBe('decide INC-0001 INC-0001-approve-fix-1 reject U_A');
  });

  it('with its Redis down, nothing is decided and the reply says so', async () => {
    const h = deps({ ping: false });
    expect(await handleDecision('approve', click(), button, h.d)).toMatch(/cannot reach its Redis/);
    expect(h.calls).toEqual([]);
  });

  it('a click from another message or another channel is refused, nothing decided', async () => {
    for (const c of [click({ ts: '1700000000.999999' }), click({ channel: 'C_OTHER' })]) {
      const h = deps({});
      expect(await handleDecision('approve', c, button, h.d)).toMatch(/does not belong to the card/);
      expect(h.calls).toEqual([]);
    }
  });

  it('a click that arrives before the card ts is recorded waits for it, then counts', async () => {
    const h = deps({ metaLate: 2 });
    expect(await handleDecision('approve', click(), button, h.d)).toMatch(/You approved/);
    expect(h.loads()).toBe(3);
  });

  it('a refusal is the reply; who already decided is named as a mention', async () => {
    const h = deps({
      decided: {
        ok: false,
        refusal: {
          code: 'already-decided',
          message: 'Already approved by U_B at x.',
          status: 'approved',
          decidedBy: 'U_B',
          decidedAt: Date.UTC(2026, 11, 1, 3, 4, 5),
        },
      },
    });
    expect(await handleDecision('approve', click(), button, h.d)).toBe(
      ':no_entry: Already approved by <@U_B> at 2026-12-01 03:04:05 UTC.',
    );
    expect(h.calls).toEqual(['decide INC-0001 INC-0001-approve-fix-1 approve U_A', 'refresh INC-0001']);
    const other = deps({
      decided: { ok: false, refusal: { code: 'self-approval', message: 'You <b>started</b> it.' } },
    });
    expect(await handleDecision('approve', click(), button, other.d)).toBe(
      ':no_entry: You &lt;b&gt;started&lt;/b&gt; it.',
    );
  });
});
