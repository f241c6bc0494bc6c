import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { buildReport, peopleIn, type RunState } from '../../src/runbooks/index.js';
import { engineDriver } from '../support/engine-driver.js';
import { highRiskToy } from '../support/multi-approval.js';
import { result, toyRunbook, toyTarget } from '../support/toy-runbook.js';

// The pure report with names handed in: every person it shows is shown by name, the id only once, in
// the list of people (the key to find them in Slack), and an id without a name stays bare. Resolving
// the names is the caller's (src/incidents/incident-reports.ts).

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
    expect(report.header.startedBy).toBe('Stan Starter');
    const step = report.resolution[0];
    expect(step?.approvers?.map((x) => x.by)).toEqual(['Alice Oncall', 'Bob Approver']);
    expect(step?.approvedBy?.by).toBe('Bob Approver');
    expect(report.proposals[0]?.approved?.by).toBe('Bob Approver');
    expect(report.proposals[0]?.approvals?.map((x) => x.by)).toEqual(['Alice Oncall', 'Bob Approver']);
    expect(report.summary).toContain('Alice Oncall and Bob Approver approved "fix it", which succeeded');
    const bys = report.timeline.flatMap((e) => (e.by ? [e.by] : []));
    expect(new Set(bys)).toEqual(new Set(['Stan Starter', 'Alice Oncall', 'Bob Approver']));
    // The engine's own text names the id; the report shows the name there too.
    expect(report.timeline.find((e) => e.kind === 'approval-decided')?.text).toMatch(/ by Bob Approver/);
    expect(report.people).toEqual([
      { name: 'Stan Starter', id: 'U_STAN', did: ['opened the incident'] },
      { name: 'Alice Oncall', id: 'U_ALICE', did: ['approved "fix it"'] },
      { name: 'Bob Approver', id: 'U_BOB', did: ['approved "fix it"'] },
    ]);
    const md = renderMarkdown(report);
    expect(md).toContain('- **Opened by:** Stan Starter, ');
    expect(md).toMatch(/- \*\*Approved by:\*\* Alice Oncall at [^;]+; Bob Approver at /);
    expect(md).toMatch(/^- \d\d:\d\d:\d\d UTC approval-decided: "fix it" approved by Bob Approver/m);
    expect(md).toContain('- Bob Approver (U_BOB): approved "fix it"');
    // Outside the list of people, no id of a person with a name.
    const outside = md.replace(md.slice(md.indexOf('## People'), md.indexOf('## Appendix')), '');
    expect(outside).not.toMatch(/U_(STAN|ALICE|BOB)/);
  });

  it('names the rejecter', () => {
    const { rb, d, decide } = drive();
    decide('reject', 'U_REJ');
    d.run();
    const report = buildReport(d.state, rb, { people: NAMES });
    expect(report.proposals[0]?.rejected?.by).toBe('Rita Rejecter');
    expect(report.notDone[0]).toMatch(/rejected by Rita Rejecter at /);
    expect(report.people.at(-1)).toEqual({ name: 'Rita Rejecter', id: 'U_REJ', did: ['rejected "fix it"'] });
    expect(renderMarkdown(report)).toMatch(/rejected by Rita Rejecter at /);
  });

  it('names the canceller, and who had approved so far', () => {
    const { rb, d, decide } = drive(2);
    decide('approve', 'U_ALICE');
    d.feed({ type: 'cancel', by: 'U_LEAD', reason: 'by hand' });
    const report = buildReport(d.state, rb, { people: NAMES });
    expect(report.notDone).toContain(
      'The repair "fix it" was not run: its approval was withdrawn when the run was cancelled by Lee Lead.',
    );
    expect(report.proposals[0]?.approvals?.map((x) => x.by)).toEqual(['Alice Oncall']);
    const md = renderMarkdown(report);
    expect(md).toMatch(/^- \d\d:\d\d:\d\d UTC cancelled: Cancelled by Lee Lead: by hand$/m);
    expect(md).toContain('- Lee Lead (U_LEAD): cancelled the run');
    expect(md).toContain('it had 1 of 2 approvals (by Alice Oncall)');
  });

  it('an id with no name, or a name that is only the id, is shown bare; no names at all is today’s report', () => {
    const state = approvedByTwo();
    const partly = buildReport(state, highRiskToy(), { people: { U_ALICE: 'Alice Oncall', U_BOB: 'U_BOB' } });
    expect(partly.header.startedBy).toBe('U_STAN');
    expect(partly.resolution[0]?.approvers?.map((x) => x.by)).toEqual(['Alice Oncall', 'U_BOB']);
    expect(partly.people.map((p) => p.id ?? p.name)).toEqual(['U_STAN', 'U_ALICE', 'U_BOB']);
    expect(partly.people[2]).toEqual({ name: 'U_BOB', did: ['approved "fix it"'] });
    const bare = renderMarkdown(buildReport(state, highRiskToy()));
    expect(bare).toContain('- **Opened by:** U_STAN, ');
    expect(bare).toContain('- U_BOB: approved "fix it"');
    expect(renderMarkdown(buildReport(state, highRiskToy(), { people: {} }))).toBe(bare);
  });

  it('a name is text like any other: escaped in Markdown, and no markup gets through', () => {
    const report = buildReport(approvedByTwo(), highRiskToy(), {
      people: { U_STAN: '*Stan* <b>|</b> [x](http://e.vil)' },
    });
    const md = renderMarkdown(report);
    expect(md).toContain('- **Opened by:** \\*Stan\\* &lt;b>|&lt;/b> [x\\](http://e.vil), ');
    expect(md).toContain('- \\*Stan\\* &lt;b>|&lt;/b> [x\\](http://e.vil) (U_STAN): opened the incident');
    expect(md).not.toContain('<b>');
  });
});
