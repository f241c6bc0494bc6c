import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { buildReport, peopleIn, type RunState } from '../../src/runbooks/index.js';
import { engineDriver } from '../support/engine-driver.js';
import { highRiskToy } from '../support/multi-approval.js';
import { result, toyRunbook, toyTarget } from '../support/toy-runbook.js';

// The pure report with names handed in: every person it shows is "Name (id)", and an id without a
// name stays bare. Resolving the names is the caller's (src/incidents/incident-reports.ts).

const answer = (stepId: string, round: number) =>
  result(stepId === 'v' ? 'good' : stepId === 'b' && round === 1 ? 'bad' : 'fine');
const NAMES = {
  U_STAN: 'Stan Starter',
  U_ALICE: 'Alice Oncall',
  U_BOB: 'Bob Approver',
  U_REJ: 'Rita Rejecter',
  U_LEAD: 'Lee Lead',
};

function drive(highRiskApprovals?: number) {
  const rb = highRiskApprovals ? highRiskToy() : toyRunbook();
  const d = engineDriver(rb, {
    target: toyTarget,
    answer,
    startedBy: 'U_STAN',
    ...(highRiskApprovals ? { highRiskApprovals } : {}),
  });
  d.run();
  const a = Object.values(d.state.approvals)[0];
  if (!a) throw new Error('no approval');
  const decide = (decision: 'approve' | 'reject', by: string) =>
    d.feed({ type: 'approval-decision', approvalId: a.id, decision, by });
  return { rb, d, decide };
}

/** Resolved after two approvals (U_ALICE, then U_BOB). */
function approvedByTwo(): RunState {
  const { d, decide } = drive(2);
  decide('approve', 'U_ALICE');
  decide('approve', 'U_BOB');
  d.run();
  expect(d.state.status).toBe('resolved');
  return d.state;
}

describe('people in the report, by name', () => {
  it('peopleIn lists the starter, every approver and decider, and the canceller, once each', () => {
    expect(peopleIn(approvedByTwo())).toEqual(['U_STAN', 'U_ALICE', 'U_BOB']);
    const { d, decide } = drive(2);
    decide('approve', 'U_ALICE');
    d.feed({ type: 'cancel', by: 'U_LEAD' });
    expect(peopleIn(d.state)).toEqual(['U_STAN', 'U_ALICE', 'U_LEAD']);
    const rejected = drive();
    rejected.decide('reject', 'U_REJ');
    expect(peopleIn(rejected.d.state)).toEqual(['U_STAN', 'U_REJ']);
  });

  it('names the starter and every approver of a multi-approval, in the data and the Markdown', () => {
    const report = buildReport(approvedByTwo(), highRiskToy(), { people: NAMES });
    expect(report.header.startedBy).toBe('Stan Starter (U_STAN)');
    const step = report.resolution[0];
    expect(step?.approvers?.map((x) => x.by)).toEqual(['Alice Oncall (U_ALICE)', 'Bob Approver (U_BOB)']);
    expect(step?.approvedBy?.by).toBe('Bob Approver (U_BOB)');
    expect(report.proposals[0]?.approved?.by).toBe('Bob Approver (U_BOB)');
    expect(report.proposals[0]?.approvals?.map((x) => x.by)).toEqual([
      'Alice Oncall (U_ALICE)',
      'Bob Approver (U_BOB)',
    ]);
    expect(report.summary).toContain(
      'approved by Alice Oncall (U_ALICE) and Bob Approver (U_BOB), succeeded.',
    );
    const bys = report.timeline.flatMap((e) => (e.by ? [e.by] : []));
    expect(new Set(bys)).toEqual(
      new Set(['Stan Starter (U_STAN)', 'Alice Oncall (U_ALICE)', 'Bob Approver (U_BOB)']),
    );
    const md = renderMarkdown(report);
    expect(md).toContain('**Started by:** Stan Starter (U_STAN)');
    expect(md).toMatch(
      /- \*\*Approved by:\*\* Alice Oncall \(U_ALICE\) at [^;]+; Bob Approver \(U_BOB\) at /,
    );
    expect(md).toMatch(/\| approval-decided \| [^|]+ \| Bob Approver \(U_BOB\) \|/);
  });

  it('names the rejecter', () => {
    const { rb, d, decide } = drive();
    decide('reject', 'U_REJ');
    d.run();
    const report = buildReport(d.state, rb, { people: NAMES });
    expect(report.proposals[0]?.rejected?.by).toBe('Rita Rejecter (U_REJ)');
    expect(report.notDone[0]).toMatch(/rejected by Rita Rejecter \(U_REJ\) at /);
    expect(renderMarkdown(report)).toMatch(/rejected by Rita Rejecter \(U_REJ\) at /);
  });

  it('names the canceller, and who had approved so far', () => {
    const { rb, d, decide } = drive(2);
    decide('approve', 'U_ALICE');
    d.feed({ type: 'cancel', by: 'U_LEAD', reason: 'by hand' });
    const report = buildReport(d.state, rb, { people: NAMES });
    expect(report.notDone).toContain(
      'The repair "fix it" was not run: its approval was withdrawn when the run was cancelled by Lee Lead (U_LEAD).',
    );
    expect(report.proposals[0]?.approvals?.map((x) => x.by)).toEqual(['Alice Oncall (U_ALICE)']);
    const md = renderMarkdown(report);
    expect(md).toMatch(/\| cancelled \| [^|]+ \| Lee Lead \(U_LEAD\) \|/);
    expect(md).toContain('it had 1 of 2 approvals (by Alice Oncall (U_ALICE))');
  });

  it('an id with no name, or a name that is only the id, is shown bare; no names at all is today’s report', () => {
    const state = approvedByTwo();
    const partly = buildReport(state, highRiskToy(), { people: { U_ALICE: 'Alice Oncall', U_BOB: 'U_BOB' } });
    expect(partly.header.startedBy).toBe('U_STAN');
    expect(partly.resolution[0]?.approvers?.map((x) => x.by)).toEqual(['Alice Oncall (U_ALICE)', 'U_BOB']);
    const bare = renderMarkdown(buildReport(state, highRiskToy()));
    expect(bare).toContain('**Started by:** U_STAN');
    expect(renderMarkdown(buildReport(state, highRiskToy(), { people: {} }))).toBe(bare);
  });

  it('a name is text like any other: escaped in Markdown, and no markup gets through', () => {
    const report = buildReport(approvedByTwo(), highRiskToy(), {
      people: { U_STAN: '*Stan* <b>|</b> [x](http://e.vil)' },
    });
    const md = renderMarkdown(report);
    expect(md).toContain('**Started by:** \\*Stan\\* &lt;b>|&lt;/b> [x\\](http://e.vil) (U_STAN)');
    expect(md).not.toContain('<b>');
  });
});
