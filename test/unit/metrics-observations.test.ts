import { describe, expect, it } from 'vitest';
import { observeStart, observeTransition, pendingApprovals } from '../../src/incidents/metrics-port.js';
import type { IncidentRecord } from '../../src/incidents/ports.js';
import { listingOf } from '../../src/incidents/summary.js';
import type { EngineEvent, ExecResult, RunState } from '../../src/runbooks/index.js';
import { advance, start } from '../../src/runbooks/index.js';
import { result, toyRunbook, toyTarget } from '../support/toy-runbook.js';

// The (before, after) → observations function, on states the real engine produces from the toy
// runbook: each fact is observed once, from the transition that made it true.
const rb = toyRunbook();
const look = (id: string) => (id === rb.id ? rb : undefined);
const TTL = 60_000;

function begin(target = toyTarget) {
  return start(rb, { runId: 'INC-0001', target, startedBy: 'U_ON', approvalTtlMs: TTL }, 0).state;
}

/** One event at `at`: the state after it, and what the metrics see of it. */
function step(s: RunState, e: EngineEvent, at: number) {
  const after = advance(s, e, at, look).state;
  return { after, seen: observeTransition(s, after) };
}

const res = (stepKey: string, results: ExecResult[], attempt = 1): EngineEvent => ({
  type: 'step-result',
  stepKey,
  attempt,
  results,
});
const probe = (key: string) => res(key, [result(key === 'b' ? 'bad' : 'fine')]);

/** The toy incident waiting for its approval, its probes answered 250 ms after each was issued. */
function toApproval() {
  let s = begin();
  for (const [key, at] of [
    ['a', 250],
    ['b', 250],
    ['c', 500],
    ['d@api', 750],
    ['d@worker', 750],
  ] as const)
    s = step(s, probe(key), at).after;
  const a = Object.values(s.approvals)[0];
  if (!a || s.status !== 'awaiting-approval') throw new Error('not waiting for approval');
  return { s, a };
}

describe('metrics observations (before, after)', () => {
  it('a start is counted with its source, and nothing else happened yet', () => {
    expect(observeStart(begin(), 'slack')).toEqual([{ kind: 'started', runbook: 'toy', source: 'slack' }]);
  });

  it('a step that finishes is timed from issue to result, named by step id, never by its key or item', () => {
    let s = begin();
    const a = step(s, probe('a'), 1_500);
    expect(a.seen).toEqual([
      { kind: 'step-finished', runbook: 'toy', step: 'a', stepKind: 'diagnose', seconds: 1.5 },
    ]);
    s = step(step(a.after, probe('b'), 1_500).after, probe('c'), 2_000).after;
    // The per-client step is one step id for the metrics: the client is not a label.
    const d = step(s, probe('d@api'), 2_010);
    expect(d.seen).toEqual([
      { kind: 'step-finished', runbook: 'toy', step: 'd', stepKind: 'diagnose', seconds: 0.01 },
    ]);
  });

  it('the same state twice, or a result delivered again, observes nothing', () => {
    const s = step(begin(), probe('a'), 100).after;
    expect(observeTransition(s, s)).toEqual([]);
    expect(step(s, probe('a'), 200).seen).toEqual([]);
  });

  it('a step skipped without being issued is not timed', () => {
    let s = begin({ ...toyTarget, clients: [] });
    s = step(step(s, probe('a'), 100).after, probe('b'), 100).after;
    const c = step(s, probe('c'), 300);
    expect(Object.values(c.after.steps).some((r) => r.status === 'skipped')).toBe(true);
    expect(c.seen.map((o) => (o.kind === 'step-finished' ? o.step : o.kind))).toEqual(['c']);
  });

  it('an approval is timed from request to decision, by risk and decision; its repair and a retried verify are timed', () => {
    const { s, a } = toApproval();
    const approved = step(
      s,
      { type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U_A' },
      30_750,
    );
    expect(approved.seen).toEqual([
      { kind: 'approval-ended', runbook: 'toy', risk: 'low', decision: 'approved', seconds: 30 },
    ]);
    const fixed = step(approved.after, res('fix', [result('ok'), result('ok')]), 30_800);
    expect(fixed.seen).toEqual([
      { kind: 'step-finished', runbook: 'toy', step: 'fix', stepKind: 'repair', seconds: 0.05 },
    ]);
    const vKey = Object.values(fixed.after.steps).find((r) => r.kind === 'verify')?.key ?? '';
    // Not yet: the check asks to be retried, so the step is still running.
    const waiting = step(fixed.after, res(vKey, [result('wait')]), 31_000);
    expect(waiting.seen).toEqual([]);
    const good = step(waiting.after, res(vKey, [result('good')], 2), 32_800);
    expect(good.seen).toEqual([
      { kind: 'step-finished', runbook: 'toy', step: 'v', stepKind: 'verify', seconds: 2 },
    ]);
  });

  it('a rejection ends the incident: the wait and the outcome, in one transition', () => {
    const { s, a } = toApproval();
    const r = step(s, { type: 'approval-decision', approvalId: a.id, decision: 'reject', by: 'U_A' }, 5_750);
    expect(r.seen).toEqual([
      { kind: 'approval-ended', runbook: 'toy', risk: 'low', decision: 'rejected', seconds: 5 },
      { kind: 'ended', runbook: 'toy', outcome: 'rejected' },
    ]);
  });

  it('an expired approval waited its whole TTL, however late the expiry event is applied', () => {
    const { s, a } = toApproval();
    const r = step(s, { type: 'approval-expired', approvalId: a.id }, a.expiresAt + 7_000);
    expect(r.seen).toEqual([
      { kind: 'approval-ended', runbook: 'toy', risk: 'low', decision: 'expired', seconds: TTL / 1000 },
      { kind: 'ended', runbook: 'toy', outcome: 'expired' },
    ]);
  });

  it('a cancel withdraws the pending approval and ends the incident once; later events end nothing again', () => {
    const { s } = toApproval();
    const c = step(s, { type: 'cancel', by: 'U_ON' }, 10_750);
    expect(c.seen).toEqual([
      { kind: 'approval-ended', runbook: 'toy', risk: 'low', decision: 'withdrawn', seconds: 10 },
      { kind: 'ended', runbook: 'toy', outcome: 'cancelled' },
    ]);
    expect(step(c.after, { type: 'cancel', by: 'U_ON' }, 11_000).seen).toEqual([]);
  });

  it('with two approvers needed, the first approval is not yet an end of the wait', () => {
    const { s, a } = toApproval();
    const two: RunState = { ...s, approvals: { [a.id]: { ...a, needed: 2 } } };
    const first = step(
      two,
      { type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U_A' },
      2_000,
    );
    expect(first.seen).toEqual([]);
    const second = step(
      first.after,
      { type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U_B' },
      4_750,
    );
    expect(second.seen).toContainEqual({
      kind: 'approval-ended',
      runbook: 'toy',
      risk: 'low',
      decision: 'approved',
      seconds: 4,
    });
  });

  it('the pending-approvals gauge counts waiting requests of open incidents only', () => {
    const { s } = toApproval();
    const rec = (id: string, state: RunState): IncidentRecord => ({
      id,
      targetName: 'cache',
      state,
      meta: {},
      version: 1,
    });
    const ended = step(s, { type: 'cancel', by: 'U_ON' }, 1_000).after;
    // A terminal incident whose request somehow still reads pending is not waiting for anyone.
    const stale: RunState = { ...ended, approvals: s.approvals };
    expect(
      pendingApprovals([rec('INC-1', s), rec('INC-2', begin()), rec('INC-3', stale)].map(listingOf)),
    ).toBe(1);
    expect(pendingApprovals([])).toBe(0);
  });
});
