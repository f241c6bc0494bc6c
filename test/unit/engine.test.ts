import { describe, expect, it } from 'vitest';
import type {
  EngineCommand,
  EngineEvent,
  ExecuteCommand,
  RunState,
  Transition,
} from '../../src/runbooks/index.js';
import { advance, runStateSchema, start } from '../../src/runbooks/index.js';
import { result, toyRunbook, toyTarget } from '../support/toy-runbook.js';

const rb = toyRunbook();
const lookup = (id: string) => (id === rb.id ? rb : undefined);
const T0 = Date.UTC(2026, 10, 21, 7, 0, 0);
const TTL = 15 * 60_000;

const executes = (cmds: EngineCommand[]) => cmds.filter((c): c is ExecuteCommand => c.type === 'execute');
const keys = (cmds: EngineCommand[]) => executes(cmds).map((c) => c.stepKey);

/** Every transition must survive JSON, exactly: the queue stores nothing else. */
function step(state: RunState, event: EngineEvent, at: number): Transition {
  const t = advance(state, event, at, lookup);
  const copy = runStateSchema.parse(JSON.parse(JSON.stringify(t.state)));
  expect(copy).toEqual(t.state);
  return t;
}

function answer(t: Transition, stdoutOf: (key: string) => string, at: number): Transition {
  let cur = t;
  let commands = [...t.commands];
  for (let guard = 0; guard < 50; guard++) {
    const next = executes(commands).find((c) => c.kind !== 'repair');
    if (!next) break;
    commands = commands.filter((c) => c !== next);
    cur = step(
      cur.state,
      {
        type: 'step-result',
        stepKey: next.stepKey,
        attempt: next.attempt,
        results: [result(stdoutOf(next.stepKey))],
      },
      at,
    );
    commands.push(...cur.commands);
    cur = { ...cur, commands };
  }
  return cur;
}

const begin = () => {
  const t = start(
    rb,
    { runId: 'INC-TEST1', target: toyTarget, startedBy: 'U_STARTER', approvalTtlMs: TTL },
    T0,
  );
  expect(runStateSchema.parse(JSON.parse(JSON.stringify(t.state)))).toEqual(t.state);
  return t;
};
/** Diagnosis finds "bad" in b, so an approval is requested. */
const untilApproval = () => answer(begin(), (k) => (k === 'b' ? 'bad' : 'fine'), T0 + 1000);
const approvalOf = (t: Transition) => {
  const a = Object.values(t.state.approvals)[0];
  if (!a) throw new Error('no approval');
  return a;
};

describe('engine: diagnosis', () => {
  it('issues independent diagnosis steps together, and dependent ones once their needs finish', () => {
    const t = begin();
    expect(keys(t.commands)).toEqual(['a', 'b']);
    expect(t.state.status).toBe('diagnosing');
    const afterA = step(
      t.state,
      { type: 'step-result', stepKey: 'a', attempt: 1, results: [result('fine')] },
      T0 + 10,
    );
    expect(keys(afterA.commands)).toEqual(['c']);
    const afterC = step(
      afterA.state,
      { type: 'step-result', stepKey: 'c', attempt: 1, results: [result('fine')] },
      T0 + 20,
    );
    expect(keys(afterC.commands)).toEqual(['d@api', 'd@worker']);
    expect(executes(afterC.commands)[0]?.jobId).toBe('INC-TEST1.d@api.a1');
  });

  it('a step skipped by its condition as the very last one still completes the diagnosis', () => {
    const skipping = toyRunbook();
    skipping.steps = [
      ...skipping.steps,
      {
        kind: 'diagnose',
        id: 'e',
        title: 'only when something is bad',
        needs: ['b'],
        when: { finding: 'bad' },
        action: () => ({ kind: 'exec', place: { at: 'redis' }, argv: ['echo', 'e'] }),
        analyze: () => ({ findings: [] }),
        emits: ['e-ok'],
        timeoutMs: 1000,
      },
    ];
    const look = () => skipping;
    let t = start(skipping, { runId: 'INC-SKIP', target: toyTarget, startedBy: 'U', approvalTtlMs: TTL }, T0);
    // Everything but b first, so b's result is the last one and e is skipped in that same pass.
    for (const key of ['a', 'c', 'd@api', 'd@worker', 'b'])
      t = advance(
        t.state,
        { type: 'step-result', stepKey: key, attempt: 1, results: [result('fine')] },
        T0 + 1,
        look,
      );
    expect(t.state.steps.e?.status).toBe('skipped');
    expect(t.state.status).toBe('no-fault');
  });

  it('a healthy diagnosis ends with no repair and no approval', () => {
    const t = answer(begin(), () => 'fine', T0 + 1000);
    expect(t.state.status).toBe('no-fault');
    expect(t.state.approvals).toEqual({});
    expect(executes(t.commands).filter((c) => c.kind === 'repair')).toEqual([]);
    expect(t.commands).toContainEqual(expect.objectContaining({ type: 'finish', status: 'no-fault' }));
  });

  it('a duplicate, stale or unknown result changes nothing and says why', () => {
    const t = begin();
    const once = step(
      t.state,
      { type: 'step-result', stepKey: 'a', attempt: 1, results: [result('fine')] },
      T0 + 10,
    );
    const twice = advance(
      once.state,
      { type: 'step-result', stepKey: 'a', attempt: 1, results: [result('bad')] },
      T0 + 20,
      lookup,
    );
    expect(twice).toEqual({ state: once.state, commands: [], ignored: 'duplicate-result' });
    expect(twice.state).toBe(once.state);
    const stale = advance(
      once.state,
      { type: 'step-result', stepKey: 'b', attempt: 7, results: [result('bad')] },
      T0 + 20,
      lookup,
    );
    expect(stale.ignored).toBe('stale-attempt');
    const unknown = advance(
      once.state,
      { type: 'step-result', stepKey: 'zzz', attempt: 1, results: [result('x')] },
      T0,
      lookup,
    );
    expect(unknown.ignored).toBe('unknown-step');
  });

  it('never modifies the state it is given', () => {
    const t = begin();
    const before = structuredClone(t.state);
    advance(
      t.state,
      { type: 'step-result', stepKey: 'a', attempt: 1, results: [result('bad')] },
      T0 + 10,
      lookup,
    );
    expect(t.state).toEqual(before);
  });
});

describe('engine: approval', () => {
  it('asks for approval with the exact commands and issues no repair before it', () => {
    const t = untilApproval();
    expect(t.state.status).toBe('awaiting-approval');
    expect(t.state.cause).toBe('broken');
    expect(executes(t.commands).some((c) => c.kind === 'repair')).toBe(false);
    const a = approvalOf(t);
    expect(a.commands).toEqual(['docker exec qpp-redis fix one', 'docker exec qpp-redis fix two']);
    expect(a.expiresAt).toBe(T0 + 1000 + TTL);
    expect(t.commands).toContainEqual({
      type: 'schedule-expiry',
      runId: 'INC-TEST1',
      approvalId: a.id,
      at: a.expiresAt,
    });
  });

  it('approve → the repair runs the actions shown on the card; a second decision changes nothing', () => {
    const t = untilApproval();
    const a = approvalOf(t);
    const ok = step(
      t.state,
      { type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U_APPROVER' },
      T0 + 5000,
    );
    const [repair] = executes(ok.commands);
    expect(repair).toMatchObject({ kind: 'repair', stepKey: 'fix', approvalId: a.id, actions: a.actions });
    expect(ok.state.status).toBe('repairing');
    for (const decision of ['approve', 'reject'] as const) {
      const again = advance(
        ok.state,
        { type: 'approval-decision', approvalId: a.id, decision, by: 'U_OTHER' },
        T0 + 6000,
        lookup,
      );
      expect(again).toEqual({ state: ok.state, commands: [], ignored: 'approval-not-pending' });
    }
  });

  it('reject → rejected, nothing runs', () => {
    const t = untilApproval();
    const r = step(
      t.state,
      { type: 'approval-decision', approvalId: approvalOf(t).id, decision: 'reject', by: 'U_APPROVER' },
      T0 + 5000,
    );
    expect(r.state.status).toBe('rejected');
    expect(executes(r.commands)).toEqual([]);
    expect(approvalOf(r)).toMatchObject({
      status: 'rejected',
      decidedBy: 'U_APPROVER',
      decidedAt: T0 + 5000,
    });
  });

  it('expiry → expired; a click after the expiry event, or after the deadline without it, is refused', () => {
    const t = untilApproval();
    const a = approvalOf(t);
    const expired = step(t.state, { type: 'approval-expired', approvalId: a.id }, a.expiresAt);
    expect(expired.state.status).toBe('expired');
    const late = advance(
      expired.state,
      { type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U' },
      a.expiresAt + 1,
      lookup,
    );
    expect(late.ignored).toBe('run-finished');
    expect(late.state).toBe(expired.state);

    const noEvent = step(
      t.state,
      { type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U' },
      a.expiresAt + 1,
    );
    expect(noEvent.ignored).toBe('approval-expired');
    expect(noEvent.state.status).toBe('expired');
    expect(executes(noEvent.commands)).toEqual([]);
  });

  it('an expiry that arrives after the decision changes nothing', () => {
    const t = untilApproval();
    const a = approvalOf(t);
    const ok = step(
      t.state,
      { type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U' },
      T0 + 5000,
    );
    const late = advance(ok.state, { type: 'approval-expired', approvalId: a.id }, a.expiresAt, lookup);
    expect(late).toEqual({ state: ok.state, commands: [], ignored: 'approval-not-pending' });
  });
});

describe('engine: repair and verification', () => {
  const approved = () => {
    const t = untilApproval();
    return step(
      t.state,
      { type: 'approval-decision', approvalId: approvalOf(t).id, decision: 'approve', by: 'U' },
      T0 + 5000,
    );
  };

  it('verifies after the repair, retries a pending check with a delay, looks again, then resolves', () => {
    const r = step(
      approved().state,
      { type: 'step-result', stepKey: 'fix', attempt: 1, results: [result(''), result('')] },
      T0 + 6000,
    );
    expect(r.state.status).toBe('verifying');
    expect(keys(r.commands)).toEqual(['v']);
    const pending = step(
      r.state,
      { type: 'step-result', stepKey: 'v', attempt: 1, results: [result('wait')] },
      T0 + 6100,
    );
    expect(executes(pending.commands)).toEqual([
      expect.objectContaining({ stepKey: 'v', attempt: 2, delayMs: 100 }),
    ]);
    const done = step(
      pending.state,
      { type: 'step-result', stepKey: 'v', attempt: 2, results: [result('good')] },
      T0 + 6300,
    );
    expect(done.state.steps.v?.check).toEqual({ passed: true, statement: 'good', evidence: ['good'] });
    // Verified: the whole diagnosis runs again before anything is called resolved.
    expect(done.state.status).toBe('diagnosing');
    expect(keys(done.commands)).toEqual(['a~2', 'b~2']);
    const again = answer(done, () => 'fine', T0 + 7000);
    expect(again.state.status).toBe('resolved');
  });

  it('a repair whose second action fails goes to onFailure without verifying', () => {
    const r = step(
      approved().state,
      { type: 'step-result', stepKey: 'fix', attempt: 1, results: [result(''), result('', 1)] },
      T0 + 6000,
    );
    expect(r.state.status).toBe('escalated');
    expect(executes(r.commands)).toEqual([]);
  });

  it('a failed verification escalates', () => {
    const r = step(
      approved().state,
      { type: 'step-result', stepKey: 'fix', attempt: 1, results: [result(''), result('')] },
      T0 + 6000,
    );
    const bad = step(
      r.state,
      { type: 'step-result', stepKey: 'v', attempt: 1, results: [result('broken')] },
      T0 + 6100,
    );
    expect(bad.state.status).toBe('escalated');
  });
});

describe('engine: cancel', () => {
  it('cancel during diagnosis ends the run; results that arrive later are ignored', () => {
    const t = begin();
    const c = step(t.state, { type: 'cancel', by: 'U_STARTER' }, T0 + 10);
    expect(c.state.status).toBe('cancelled');
    const late = advance(
      c.state,
      { type: 'step-result', stepKey: 'a', attempt: 1, results: [result('bad')] },
      T0 + 20,
      lookup,
    );
    expect(late).toEqual({ state: c.state, commands: [], ignored: 'run-finished' });
  });

  it('cancel while waiting withdraws the approval, and a click after it is refused', () => {
    const t = untilApproval();
    const a = approvalOf(t);
    const c = step(t.state, { type: 'cancel', by: 'U_STARTER' }, T0 + 2000);
    expect(c.commands).toContainEqual({ type: 'withdraw-approval', runId: 'INC-TEST1', approvalId: a.id });
    const click = advance(
      c.state,
      { type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U' },
      T0 + 3000,
      lookup,
    );
    expect(click.ignored).toBe('run-finished');
    expect(executes(click.commands)).toEqual([]);
  });

  it('cancel during a repair still records what the repair did', () => {
    const t = untilApproval();
    const ok = step(
      t.state,
      { type: 'approval-decision', approvalId: approvalOf(t).id, decision: 'approve', by: 'U' },
      T0 + 5000,
    );
    const c = step(ok.state, { type: 'cancel', by: 'U_STARTER' }, T0 + 5500);
    const r = step(
      c.state,
      { type: 'step-result', stepKey: 'fix', attempt: 1, results: [result(''), result('')] },
      T0 + 6000,
    );
    expect(r.state.status).toBe('cancelled');
    expect(r.state.steps.fix?.status).toBe('done');
    expect(r.state.timeline.at(-1)?.kind).toBe('late-result');
    expect(executes(r.commands)).toEqual([]);
  });
});

describe('engine: safety nets', () => {
  it('refuses to run a repair that an invalid graph reaches without its approval', () => {
    const bad = toyRunbook();
    bad.steps = bad.steps.map((s) =>
      s.kind === 'decide' ? { ...s, branches: [{ when: { finding: 'bad' }, to: 'fix' }] } : s,
    );
    const look = () => bad;
    let t = start(bad, { runId: 'INC-BAD', target: toyTarget, startedBy: 'U', approvalTtlMs: TTL }, T0);
    const all: EngineCommand[] = [...t.commands];
    for (let i = 0; i < 10; i++) {
      const next = executes(t.commands)[0];
      const pending = Object.values(t.state.steps).find((r) => r.status === 'running');
      if (!pending) break;
      t = advance(
        t.state,
        { type: 'step-result', stepKey: pending.key, attempt: 1, results: [result('bad')] },
        T0 + i,
        look,
      );
      all.push(...t.commands);
      void next;
    }
    expect(t.state.status).toBe('escalated');
    expect(t.state.outcome?.summary).toMatch(/Refused to run "fix it"/);
    expect(executes(all).some((c) => c.kind === 'repair')).toBe(false);
  });

  it('a bounded loop escalates once its step is visited more than maxVisits times', () => {
    const loop = toyRunbook();
    loop.steps = loop.steps.map((s) => {
      if (s.kind === 'repair') return { ...s, onFailure: 'approve-fix' };
      if (s.kind === 'approval') return { ...s, maxVisits: 2 };
      return s;
    });
    const look = () => loop;
    let t = answer(
      start(loop, { runId: 'INC-LOOP', target: toyTarget, startedBy: 'U', approvalTtlMs: TTL }, T0),
      () => 'bad',
      T0,
    );
    for (let round = 1; round <= 2; round++) {
      const a = Object.values(t.state.approvals).find((x) => x.status === 'pending');
      if (!a) throw new Error('expected a pending approval');
      t = advance(
        t.state,
        { type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U' },
        T0 + round,
        look,
      );
      const key = executes(t.commands)[0]?.stepKey ?? '';
      expect(key).toBe(round === 1 ? 'fix' : 'fix~2');
      t = advance(
        t.state,
        { type: 'step-result', stepKey: key, attempt: 1, results: [result('', 1)] },
        T0 + round,
        look,
      );
    }
    expect(t.state.status).toBe('escalated');
    expect(t.state.outcome?.summary).toMatch(/more than its limit of 2/);
  });

  it('a target kind the runbook does not support ends the run at once', () => {
    const t = start(
      rb,
      { runId: 'INC-SSH', target: { ...toyTarget, kind: 'ssh' }, startedBy: 'U', approvalTtlMs: TTL },
      T0,
    );
    expect(t.state.status).toBe('escalated');
    expect(executes(t.commands)).toEqual([]);
  });
});
