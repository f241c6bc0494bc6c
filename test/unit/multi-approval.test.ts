import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/reports/markdown.js';
import type { ExecuteCommand, Runbook, RunState, Transition } from '../../src/runbooks/index.js';
import {
  advance,
  buildReport,
  isRunbookBotError,
  repairClearance,
  runStateSchema,
  start,
} from '../../src/runbooks/index.js';
import { engineDriver } from '../support/engine-driver.js';
import { highRiskToy } from '../support/multi-approval.js';
import { result, toyRunbook, toyTarget } from '../support/toy-runbook.js';

// A high-risk repair that needs several distinct approvers, through the pure engine: nothing runs
// until the count is reached, the same person counts once, a reject by anyone rejects, and the
// report names every approver.

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

function untilApproval(rb: Runbook, highRiskApprovals?: number, startedBy = 'U_ON') {
  const look = () => rb;
  let t: Transition = start(
    rb,
    {
      runId: 'INC-0001',
      target: toyTarget,
      startedBy,
      approvalTtlMs: 60_000,
      ...(highRiskApprovals === undefined ? {} : { highRiskApprovals }),
    },
    T0,
  );
  for (const key of ['a', 'b', 'c', 'd@api', 'd@worker'])
    t = advance(
      t.state,
      { type: 'step-result', stepKey: key, attempt: 1, results: [result(key === 'b' ? 'bad' : 'fine')] },
      T0 + 1,
      look,
    );
  const a = Object.values(t.state.approvals)[0];
  if (!a) throw new Error('no approval');
  const decide = (state: RunState, by: string, decision: 'approve' | 'reject' = 'approve', at = T0 + 2) => {
    const next = advance(state, { type: 'approval-decision', approvalId: a.id, decision, by }, at, look);
    // Every state the queue stores must survive JSON exactly.
    expect(runStateSchema.parse(JSON.parse(JSON.stringify(next.state)))).toEqual(next.state);
    return next;
  };
  return { t, a, decide };
}

const repairsIn = (t: Transition) =>
  t.commands.filter((c): c is ExecuteCommand => c.type === 'execute' && c.kind === 'repair');

describe('a high-risk repair needing two approvers', () => {
  it('the first approval is recorded, noted "1 of 2", and nothing runs', () => {
    const { t, a, decide } = untilApproval(highRiskToy(), 2);
    expect(a.needed).toBe(2);
    expect(t.state.timeline.at(-1)?.text).toMatch(/risk high, 2 approvers needed/);
    const first = decide(t.state, 'U_A');
    expect(first.ignored).toBeUndefined();
    expect(repairsIn(first)).toEqual([]);
    expect(first.state.status).toBe('awaiting-approval');
    expect(first.state.approvals[a.id]).toMatchObject({
      status: 'pending',
      approvedBy: [{ by: 'U_A', at: T0 + 2 }],
    });
    expect(first.state.approvals[a.id]?.decidedBy).toBeUndefined();
    expect(first.state.timeline.at(-1)).toMatchObject({
      kind: 'approval-recorded',
      text: '"fix it" approved by U_A (1 of 2)',
      by: 'U_A',
    });
  });

  it('a second, different approver makes it approved and issues the repair exactly once', () => {
    const { t, a, decide } = untilApproval(highRiskToy(), 2);
    const second = decide(decide(t.state, 'U_A').state, 'U_B', 'approve', T0 + 3);
    expect(repairsIn(second)).toHaveLength(1);
    expect(repairsIn(second)[0]?.approvalId).toBe(a.id);
    expect(second.state.status).toBe('repairing');
    expect(second.state.approvals[a.id]).toMatchObject({
      status: 'approved',
      decidedBy: 'U_B',
      decidedAt: T0 + 3,
      approvedBy: [
        { by: 'U_A', at: T0 + 2 },
        { by: 'U_B', at: T0 + 3 },
      ],
    });
    expect(second.state.timeline.at(-2)?.text).toBe('"fix it" approved by U_B (2 of 2)');
    // A third click finds it decided: no second repair.
    const third = decide(second.state, 'U_C');
    expect(third.ignored).toBe('approval-not-pending');
    expect(repairsIn(third)).toEqual([]);
  });

  it('the same person approving twice is ignored with its own reason, and changes nothing', () => {
    const { t, decide } = untilApproval(highRiskToy(), 2);
    const once = decide(t.state, 'U_A');
    const twice = decide(once.state, 'U_A');
    expect(twice).toEqual({ state: once.state, commands: [], ignored: 'already-approved' });
    expect(twice.state).toBe(once.state);
  });

  it('a reject after one approval rejects: nothing runs', () => {
    const { t, a, decide } = untilApproval(highRiskToy(), 2);
    const rejected = decide(decide(t.state, 'U_A').state, 'U_B', 'reject');
    expect(repairsIn(rejected)).toEqual([]);
    expect(rejected.state.status).toBe('rejected');
    expect(rejected.state.approvals[a.id]).toMatchObject({ status: 'rejected', decidedBy: 'U_B' });
  });

  it('three needed: two approvals still run nothing, the third does', () => {
    const { t, decide } = untilApproval(highRiskToy(), 3);
    const two = decide(decide(t.state, 'U_A').state, 'U_B');
    expect(repairsIn(two)).toEqual([]);
    expect(two.state.timeline.at(-1)?.text).toMatch(/\(2 of 3\)$/);
    expect(repairsIn(decide(two.state, 'U_C'))).toHaveLength(1);
  });
});

describe('where one approval is enough', () => {
  it('a low- or medium-risk repair needs one approval whatever the high-risk count', () => {
    for (const risk of ['low', 'medium'] as const) {
      const rb = toyRunbook();
      const runbook = { ...rb, steps: rb.steps.map((s) => (s.kind === 'repair' ? { ...s, risk } : s)) };
      const { t, a, decide } = untilApproval(runbook, 3);
      expect(a.needed).toBeUndefined();
      const one = decide(t.state, 'U_A');
      expect(repairsIn(one)).toHaveLength(1);
      expect(one.state.timeline.at(-2)?.text).toBe('"fix it" approved by U_A');
    }
  });

  it('a high-risk repair with no count given, or a state stored before the count existed, needs one', () => {
    const { t, decide } = untilApproval(highRiskToy());
    expect(t.state.highRiskApprovals).toBeUndefined();
    expect(repairsIn(decide(t.state, 'U_A'))).toHaveLength(1);
    // A stored state from before: no count, no approvers recorded; it parses and one approval runs it.
    const { highRiskApprovals: _n, ...old } = untilApproval(highRiskToy(), 2).t.state;
    const oldApprovals = Object.fromEntries(
      Object.entries(old.approvals).map(([k, { needed: _x, ...rest }]) => [k, rest]),
    );
    const parsed = runStateSchema.parse(JSON.parse(JSON.stringify({ ...old, approvals: oldApprovals })));
    expect(repairsIn(decide(parsed, 'U_A'))).toHaveLength(1);
  });

  it('the count is fixed when the run starts, and must be 1 to 5', () => {
    expect(untilApproval(highRiskToy(), 4).t.state.highRiskApprovals).toBe(4);
    for (const bad of [0, 6, 1.5]) {
      let thrown: unknown;
      try {
        untilApproval(highRiskToy(), bad);
      } catch (e) {
        thrown = e;
      }
      expect(isRunbookBotError(thrown, 'CONFIG_INVALID'), String(bad)).toBe(true);
    }
  });
});

describe('the repair job and an approval short of its count', () => {
  it('a state claiming "approved" with one of two approvers does not clear the repair', () => {
    const { t, a, decide } = untilApproval(highRiskToy(), 2);
    const done = decide(decide(t.state, 'U_A').state, 'U_B');
    const cmd = repairsIn(done)[0];
    if (!cmd) throw new Error('no repair');
    expect(repairClearance(done.state, cmd)).toMatchObject({ ok: true });
    const approval = done.state.approvals[a.id];
    if (!approval) throw new Error('no approval');
    const forged: RunState = {
      ...done.state,
      approvals: { [a.id]: { ...approval, approvedBy: approval.approvedBy?.slice(0, 1) ?? [] } },
    };
    expect(repairClearance(forged, cmd)).toEqual({ ok: false, refused: 'its approval is not in force' });
  });
});

describe('the report of a multi-approved repair', () => {
  const answer = (stepId: string, round: number) =>
    result(stepId === 'v' ? 'good' : stepId === 'b' && round === 1 ? 'bad' : 'fine');

  function resolvedWithTwo() {
    const d = engineDriver(highRiskToy(), { target: toyTarget, answer, highRiskApprovals: 2, at: T0 });
    d.run();
    const a = Object.values(d.state.approvals)[0];
    if (!a) throw new Error('no approval');
    d.feed({ type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U_ALICE' });
    d.feed({ type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U_BOB' });
    d.run();
    return d.state;
  }

  it('names every approver, with when, in the steps, the summary and the Markdown', () => {
    const state = resolvedWithTwo();
    expect(state.status).toBe('resolved');
    const report = buildReport(state, highRiskToy(), { people: { U_ALICE: 'Alice' } });
    const step = report.resolution[0];
    expect(step?.approvers?.map((d) => d.by)).toEqual(['Alice', 'U_BOB']);
    expect(step?.approvedBy?.by).toBe('U_BOB');
    expect(report.summary).toMatch(/Alice and U_BOB approved "fix it",/);
    const md = renderMarkdown(report);
    expect(md).toMatch(
      /- \*\*Approved by:\*\* Alice at 2026-12-01 03:00:\d\d UTC; U_BOB at 2026-12-01 03:00:\d\d UTC/,
    );
  });

  it('one approval short when it expired: the report says who had approved', () => {
    const d = engineDriver(highRiskToy(), { target: toyTarget, answer, highRiskApprovals: 2, at: T0 });
    d.run();
    const a = Object.values(d.state.approvals)[0];
    if (!a) throw new Error('no approval');
    d.feed({ type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U_ALICE' });
    d.feed({ type: 'approval-expired', approvalId: a.id });
    const report = buildReport(d.state, highRiskToy());
    expect(report.proposals[0]).toMatchObject({ needed: 2, approvals: [{ by: 'U_ALICE' }] });
    expect(report.notDone[0]).toMatch(/it had 1 of 2 approvals \(by U_ALICE\) when the approval expired/);
    expect(renderMarkdown(report)).toMatch(
      /\*\*Approval:\*\* expired at .+; it had 1 of 2 approvals \(by U_ALICE\)/,
    );
  });

  it('a single approver is reported as before, with no list', () => {
    const d = engineDriver(toyRunbook(), { target: toyTarget, answer, at: T0, autoApprove: true }).run();
    const report = buildReport(d.state, toyRunbook());
    expect(report.resolution[0]?.approvers).toBeUndefined();
    expect(report.proposals[0]?.needed).toBeUndefined();
  });
});
