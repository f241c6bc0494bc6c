// The report's detail sections in Markdown: root cause, changes and their undo, verification,
// recommendations, follow-ups, people, and the appendix (checks, repair output, the event log).
import type {
  ActionOutcome,
  Proposal,
  Report,
  ReportFinding,
  ResolutionStep,
  VerificationItem,
} from '../runbooks/report.js';
import { humanUtc, shortUtc } from '../runbooks/report.js';
import { approvalCount, repairResult } from '../runbooks/report-narrative.js';
import { clip, type Doc } from './markdown-doc.js';

const SEVERITY: Record<ReportFinding['severity'], string> = {
  critical: '🔴',
  warning: '🟠',
  info: 'ℹ️',
  ok: '✅',
  unknown: '❔',
};

const when = (iso: string | undefined) => (iso === undefined ? '?' : humanUtc(iso));

export function renderRootCause(d: Doc, report: Report) {
  d.para('## Root cause');
  const rc = report.rootCause;
  if (rc) {
    d.para(`**${d.t(rc.title)}**`);
    if (rc.evidence.length === 0) d.para('No finding was recorded as evidence for it.');
    else d.para('Evidence:');
    for (const f of rc.evidence) {
      d.para(`${SEVERITY[f.severity]} **${d.t(f.stepTitle)}**: ${d.t(f.statement)}`);
      if (f.evidence.length > 0) d.para(d.block(f.evidence.join('\n'), 'text'));
    }
  } else if (report.header.status === 'inconclusive') {
    d.para('Not known: the checks a conclusion needs could not all be read.');
  } else d.para('No root cause was identified.');
  const unread = report.checked.filter((c) => c.findings.some((f) => f.severity === 'unknown'));
  if (unread.length > 0 && !rc) {
    d.para('**What could not be read**');
    d.para(
      ...unread.flatMap((c) =>
        c.findings.filter((f) => f.severity === 'unknown').map((f) => `- ❔ ${d.t(f.statement)}`),
      ),
    );
  }
  if (report.otherProblems.length > 0) {
    d.para(rc ? '**Other problems found**' : '**Problems found**');
    d.para(
      ...report.otherProblems.map(
        (f) =>
          `- ${SEVERITY[f.severity]} ${d.t(f.stepTitle)}${f.round > 1 ? ` (look ${f.round})` : ''}: ${d.t(f.statement)}`,
      ),
    );
  }
}

export function renderChanges(d: Doc, report: Report) {
  d.para('## What was changed');
  if (report.changes.length === 0) d.para(`Nothing was changed on ${d.t(report.header.target.name)}.`);
  for (const c of report.changes) {
    const step = report.resolution.find((r) => r.title === c.repair);
    const by = step ? approvers(d, step, false) : '';
    d.para(
      `On **${d.t(c.target)}** (${d.t(c.where)}), by "${d.t(c.repair)}"${by ? `, approved by ${by}` : ''}${c.uncertain.length > 0 ? ' (⚠️ it has no recorded result: what it changed is not known)' : c.complete ? '' : ' (partly: it failed before its last command)'}:`,
    );
    d.para(
      ...c.commands.map((x) => `- ${d.code(x)}`),
      ...c.uncertain.map((x) => `- ${d.code(x)} (⚠️ may have run: no result was recorded)`),
    );
    d.para(
      c.undo
        ? `**Undo**${c.undoWhere ? ` (${d.t(c.undoWhere)})` : ''}: ${d.t(c.undo)}`
        : '**Undo:** none recorded in the runbook.',
    );
  }
  for (const p of report.proposals.filter((x) => x.status !== 'approved')) renderProposal(d, p);
}

function renderProposal(d: Doc, p: Proposal) {
  const fate =
    p.status === 'rejected'
      ? `rejected by ${d.t(p.rejected?.by ?? '?')} at ${when(p.rejected?.at)}`
      : p.status === 'expired'
        ? `expired ${p.approvals?.length ? '' : 'unanswered '}at ${humanUtc(p.expiresAt)}`
        : p.status === 'withdrawn'
          ? 'withdrawn when the run was cancelled'
          : `waiting for a decision until ${humanUtc(p.expiresAt)}`;
  const count = p.needed === undefined ? '' : `; it had ${d.t(approvalCount(p))}`;
  d.para(
    `### ${p.status === 'pending' ? 'Proposed, awaiting a decision' : 'Proposed, not run'}: ${d.t(p.title)}`,
  );
  d.para(
    `- **Risk:** ${p.risk}`,
    `- **Requested:** ${humanUtc(p.requestedAt)}`,
    `- **Approval:** ${fate}${count}`,
    `- **Would have been verified by:** ${p.verify.map(d.t).join(', ') || 'nothing listed'}`,
    ...(p.undo ? [`- **Undo it offered:** ${d.t(p.undo)}`] : []),
  );
  d.para('Commands it would have run:', '', d.block(p.commands.join('\n'), 'bash'));
}

function approvers(d: Doc, r: ResolutionStep, withTimes = true) {
  const all = r.approvers?.length ? r.approvers : r.approvedBy ? [r.approvedBy] : [];
  return all
    .map((x) => `${d.t(x.by)}${withTimes ? ` at ${humanUtc(x.at)}` : ''}`)
    .join(withTimes ? '; ' : ' and ');
}

export function renderVerification(d: Doc, report: Report) {
  d.para('## Verification checklist');
  if (report.verification.length === 0) {
    d.para(
      report.resolution.length === 0
        ? 'No verification ran: no repair was run.'
        : 'No verification ran: no repair completed successfully.',
    );
    return;
  }
  const lines = report.verification.map((v) => `- ${checkBox(v)} ${checkLine(d, v)}`);
  if (report.header.status === 'resolved' && report.timeline.some((e) => e.kind === 'recheck'))
    lines.push('- [x] The whole diagnosis ran again after the repair and found nothing wrong');
  d.para(...lines);
}

const checkBox = (v: VerificationItem) =>
  v.passed === true ? '[x]' : v.passed === false ? '[ ] ❌' : '[ ] ⚪';

function checkLine(d: Doc, v: VerificationItem) {
  const title = `${v.title}${v.item === undefined ? '' : ` (${v.item})`}${v.round > 1 ? ` (round ${v.round})` : ''}`;
  // Evidence the statement already quotes is not repeated.
  const extra = v.evidence.filter((e) => e.trim() !== '' && !v.statement.includes(e.trim()));
  const state = v.passed === null ? 'not completed: ' : '';
  return `**${d.t(title)}**: ${state}${d.t(v.statement)}${extra.length ? ` (${extra.map((e) => d.code(clip(e))).join(', ')})` : ''}`;
}

export function renderRecommendations(d: Doc, report: Report) {
  d.para('## Recommendations');
  if (report.recommendations.length === 0) {
    d.para('None: nothing was found that the runbook knows how to prevent.');
    return;
  }
  for (const g of report.recommendations) {
    d.para(`**${d.t(g.about)}**${g.because ? `: ${d.t(g.because)}` : ''}`);
    d.para(...g.items.map((x) => `- ${d.t(x)}`));
  }
}

export function renderFollowUps(d: Doc, report: Report) {
  d.para('## Follow-ups');
  if (report.followUps.length === 0) d.para('None.');
  else d.para(...report.followUps.map((x) => `- [ ] ${d.t(x)}`));
}

export function renderPeople(d: Doc, report: Report) {
  if (report.people.length === 0) return;
  d.para('## People');
  d.para(
    ...report.people.map((p) => `- ${d.t(p.name)}${p.id ? ` (${d.t(p.id)})` : ''}: ${d.t(p.did.join('; '))}`),
  );
}

export function renderAppendix(d: Doc, report: Report) {
  const day = report.header.startedAt;
  d.para('## Appendix: what was checked');
  if (report.checked.length === 0) d.para('No diagnosis step ran.');
  const rounds = [...new Set(report.checked.map((c) => c.round))];
  for (const round of rounds) {
    if (rounds.length > 1) d.para(round === 1 ? '**First look**' : `**Look ${round}, after the repair**`);
    d.para(
      ...report.checked
        .filter((c) => c.round === round)
        .flatMap((c) => {
          const title = `- **${d.t(c.title)}${c.item === undefined ? '' : ` (${d.t(c.item)})`}**`;
          if (c.status === 'skipped')
            return [`${title}: skipped, ${d.t(c.skippedBecause ?? 'no reason recorded')}`];
          const lines = [`${title}: ${c.commands.map(d.code).join(', ') || 'no command'}`];
          if (c.status === 'running') lines.push('  - ⏳ no result yet');
          else if (c.findings.length === 0) lines.push('  - no findings');
          for (const f of c.findings) lines.push(`  - ${SEVERITY[f.severity]} ${d.t(f.statement)}`);
          return lines;
        }),
    );
  }
  if (report.resolution.length > 0) {
    d.para('## Appendix: repairs and their output');
    for (const r of report.resolution) renderRepair(d, r);
  }
  d.para('## Appendix: event log');
  d.para(...report.timeline.map((e) => `- ${shortUtc(e.at, day)} ${e.kind}: ${eventText(d, e)}`));
}

/** An event of the log: a command it names in a code span, and who did it unless it says so. */
function eventText(d: Doc, e: Report['timeline'][number]) {
  const by = e.by && !e.text.includes(e.by) ? ` (by ${d.t(e.by)})` : '';
  const cut = e.kind === 'step-issued' || e.kind === 'repair-issued' ? e.text.indexOf(': ') : -1;
  if (cut < 0) return `${d.t(e.text)}${by}`;
  return `${d.t(e.text.slice(0, cut))}: ${d.code(e.text.slice(cut + 2))}${by}`;
}

function renderRepair(d: Doc, r: ResolutionStep) {
  d.para(`### ${d.t(r.title)}${r.round > 1 ? ` (attempt ${r.round})` : ''}`);
  const said = repairResult(r.status);
  d.para(
    ...[
      r.risk ? `- **Risk:** ${r.risk}` : undefined,
      `- **Approved by:** ${approvers(d, r) || 'no approval on record'}`,
      `- **Ran:** ${when(r.issuedAt)} to ${r.finishedAt ? humanUtc(r.finishedAt) : 'not finished'}: ${said.mark} ${said.shown}`,
      r.note === undefined ? undefined : `- **Why:** ${d.t(r.note)}`,
      r.late ? '- **Note:** the result arrived after the run had been cancelled.' : undefined,
    ].filter((x): x is string => x !== undefined),
  );
  for (const a of r.actions) renderAction(d, a);
}

function renderAction(d: Doc, a: ActionOutcome) {
  d.para(d.block(a.command, 'bash'));
  if (a.outcome === 'unknown')
    return d.para('**Result:** ⚠️ unknown: no result was recorded; it may have run.');
  if (a.outcome === 'not-run')
    return d.para('**Result:** not run (an earlier command failed, or no result arrived).');
  const status = a.timedOut
    ? 'timed out'
    : a.unreachable
      ? 'target unreachable'
      : `exit code ${a.exitCode ?? 'none'}`;
  const empty = a.stdout.trim() === '' && a.stderr.trim() === '';
  d.para(
    `**Result:** ${a.outcome === 'succeeded' ? '✅' : '❌'} ${status}${a.error ? ` (${d.t(a.error)})` : ''}${empty ? ', no output' : ''}${a.outputCut ? ' (output shortened)' : ''}`,
  );
  if (a.stdout.trim() !== '') d.para(d.block(a.stdout, 'text'));
  if (a.stderr.trim() !== '') d.para('stderr:', '', d.block(a.stderr, 'text'));
}
