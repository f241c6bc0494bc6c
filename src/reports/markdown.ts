// Renders the incident report (src/runbooks/report.ts) as Markdown, for the incident thread and the
// reports folder. Every piece of text that came from a target, a person or a runbook goes through
// redact() and then through the escaping its place needs: inline text, a table cell, a code span or a
// fenced block. Pure: no I/O, no clock.
import { redact } from '../runbooks/redact.js';
import type {
  ActionOutcome,
  Proposal,
  Report,
  ReportFinding,
  ResolutionStep,
  VerificationItem,
} from '../runbooks/report.js';
import { humanUtc } from '../runbooks/report.js';
import { approvalCount, repairResult } from '../runbooks/report-narrative.js';
import type { RunStatus } from '../runbooks/state.js';
import { codeSpan, fencedBlock, inlineText, normaliseText, tableCell } from './markdown-text.js';

const STATUS: Record<RunStatus, string> = {
  diagnosing: '🔄 DIAGNOSING (still running)',
  'awaiting-approval': '⏳ AWAITING APPROVAL',
  repairing: '🔧 REPAIRING (still running)',
  verifying: '🔎 VERIFYING (still running)',
  resolved: '✅ RESOLVED',
  escalated: '⚠️ ESCALATED',
  'no-fault': '✅ NO FAULT FOUND',
  inconclusive: '❔ COULD NOT DIAGNOSE',
  'handed-over': '↪️ HANDED OVER',
  rejected: '⛔ REPAIR REJECTED',
  expired: '⌛ APPROVAL EXPIRED',
  interrupted: '⚠️ REPAIR INTERRUPTED',
  cancelled: '🚫 CANCELLED',
};

const SEVERITY: Record<ReportFinding['severity'], string> = {
  critical: '🔴',
  warning: '🟠',
  info: 'ℹ️',
  ok: '✅',
  unknown: '❔',
};

const when = (iso: string | undefined) => (iso === undefined ? '?' : humanUtc(iso));

/**
 * The report as a Markdown document, readable as plain text too. `secrets`: values that must not
 * appear (the target's password, tokens); they and every recognisable credential become [REDACTED].
 */
export function renderMarkdown(report: Report, secrets: readonly string[] = []): string {
  const clean = (s: string) => redact(normaliseText(s), secrets);
  const t = (s: string) => inlineText(clean(s));
  const cell = (s: string) => tableCell(clean(s));
  const code = (s: string) => codeSpan(clean(s));
  const block = (s: string, lang = '') => fencedBlock(clean(s), lang);

  const h = report.header;
  const out: string[] = [];
  const para = (...lines: string[]) => out.push(...lines, '');

  para(`# Incident report ${t(h.incidentId)}: ${t(h.runbook.title)}`);
  para(
    [
      `**Status:** ${STATUS[h.status]}`,
      `**Target:** ${t(h.target.name)} (${t(h.target.where)})`,
      `**Runbook:** ${t(h.runbook.id)}`,
      h.openedByAlert === undefined
        ? `**Started by:** ${t(h.startedBy)}`
        : `**Opened by:** alert ${code(h.openedByAlert)} (Alertmanager)`,
      `**Started:** ${humanUtc(h.startedAt)}`,
      `**Ended:** ${h.endedAt ? humanUtc(h.endedAt) : 'not yet (the run is still going)'}`,
      `**Duration:** ${h.duration}${h.finished ? '' : ' so far'}`,
    ].join('  \n'),
  );
  para('---');

  para('## Summary');
  para(t(report.summary));
  if (report.handover) para(`**Handed over to:** ${t(report.handover)}`);

  para('## Timeline (UTC)');
  para(
    '| Time (UTC) | Event | Details | By |',
    '| --- | --- | --- | --- |',
    ...report.timeline.map(
      (e) => `| ${humanUtc(e.at)} | ${e.kind} | ${cell(e.text)} | ${cell(e.by ?? '')} |`,
    ),
  );

  if (report.alerts.length > 0) {
    para('## Alerts (UTC)');
    para(
      '| Alert | Started (startsAt) | Detected | Resolved |',
      '| --- | --- | --- | --- |',
      ...report.alerts.map(
        (a) =>
          `| ${cell(a.name)}${a.opened ? ' (opened the incident)' : ''} | ${a.startsAt ? humanUtc(a.startsAt) : '?'} | ${humanUtc(a.detectedAt)} | ${a.resolvedAt ? humanUtc(a.resolvedAt) : a.status === 'resolved' ? 'resolved' : 'still firing'} |`,
      ),
    );
  }

  para('## Incident clock (UTC)');
  para(
    '| Milestone | Time (UTC) |',
    '| --- | --- |',
    ...report.clock.milestones.map((m) => `| ${m.label} | ${humanUtc(m.at)} |`),
  );
  if (report.clock.durations.length > 0)
    para(...report.clock.durations.map((d) => `- **${d.name}:** ${d.text}`));

  para('## Root cause');
  if (report.rootCause) {
    para(`**${t(report.rootCause.title)}**`);
    if (report.rootCause.evidence.length === 0) para('No finding was recorded as evidence for it.');
    else para('**Evidence**');
    for (const f of report.rootCause.evidence) {
      para(`${SEVERITY[f.severity]} **${t(f.stepTitle)}**: ${t(f.statement)}`);
      if (f.evidence.length > 0) para(block(f.evidence.join('\n'), 'text'));
    }
  } else {
    para('No root cause was identified.');
  }
  if (report.otherProblems.length > 0) {
    para(report.rootCause ? '**Other problems found**' : '**Problems found**');
    para(
      ...report.otherProblems.map((f) => `- ${SEVERITY[f.severity]} ${t(f.stepTitle)}: ${t(f.statement)}`),
    );
  }

  para('## What was checked');
  if (report.checked.length === 0) para('No diagnosis step ran.');
  else
    para(
      ...report.checked.flatMap((c, i) => {
        const marker = `${i + 1}. `;
        const sub = `${' '.repeat(marker.length)}- `;
        const title = `${marker}**${t(c.title)}${c.item === undefined ? '' : ` (${t(c.item)})`}**`;
        if (c.status === 'skipped')
          return [`${title}: skipped, ${t(c.skippedBecause ?? 'no reason recorded')}`];
        const lines = [`${title}: ${c.commands.map(code).join(', ') || 'no command'}`];
        if (c.status === 'running') lines.push(`${sub}⏳ no result yet`);
        else if (c.findings.length === 0) lines.push(`${sub}no findings`);
        for (const f of c.findings) lines.push(`${sub}${SEVERITY[f.severity]} ${t(f.statement)}`);
        return lines;
      }),
    );

  para('## Resolution steps');
  const unapproved = report.proposals.filter((p) => p.status !== 'approved');
  if (report.resolution.length === 0) para('No repair was run.');
  report.resolution.forEach((r, i) => {
    renderRepair(r, i + 1);
  });
  for (const p of unapproved) renderProposal(p);

  para('## Verification checklist');
  if (report.verification.length === 0)
    para(
      report.resolution.length === 0
        ? 'No verification ran: no repair was run.'
        : 'No verification ran: no repair completed successfully.',
    );
  else
    para(
      '| Check | Status | Evidence |',
      '| --- | --- | --- |',
      ...report.verification.map(
        (v) => `| ${cell(checkTitle(v))} | ${checkStatus(v)} | ${checkEvidence(v)} |`,
      ),
    );

  para('## What was changed');
  if (report.changes.length === 0) para(`Nothing was changed on ${t(h.target.name)}.`);
  for (const c of report.changes) {
    para(
      `On **${t(c.target)}** (${t(c.where)}), by "${t(c.repair)}"${c.uncertain.length > 0 ? ' (⚠️ it has no recorded result: what it changed is not known):' : c.complete ? ':' : ' (partly: it failed before its last command):'}`,
    );
    para(
      ...c.commands.map((x) => `- ${code(x)}`),
      ...c.uncertain.map((x) => `- ${code(x)} (⚠️ may have run: no result was recorded)`),
    );
    para(c.undo ? `**Undo:** ${t(c.undo)}` : '**Undo:** none recorded in the runbook.');
  }

  if (report.notDone.length > 0) {
    para('## What was not done');
    para(...report.notDone.map((x) => `- ${t(x)}`));
  }

  para('## Recommendations');
  if (report.recommendations.length === 0) para('None: no root cause was identified to prevent.');
  else para(...report.recommendations.map((x, i) => `${i + 1}. ${t(x)}`));

  para('---');
  out.push(
    `_Written by runbook-bot from run ${t(h.incidentId)} (runbook ${t(h.runbook.id)})${h.generatedAt ? ` at ${humanUtc(h.generatedAt)}` : ''}._`,
  );
  return `${out.join('\n')}\n`;

  function renderRepair(r: ResolutionStep, n: number) {
    para(`### Step ${n}: ${t(r.title)}${r.round > 1 ? ` (attempt ${r.round})` : ''}`);
    const said = repairResult(r.status);
    const state = `${said.mark} ${said.shown}`;
    para(
      ...[
        r.risk ? `- **Risk:** ${r.risk}` : undefined,
        `- **Approved by:** ${approvedBy(r)}`,
        `- **Ran:** ${when(r.issuedAt)} → ${r.finishedAt ? humanUtc(r.finishedAt) : 'not finished'}: ${state}`,
        r.note === undefined ? undefined : `- **Why:** ${t(r.note)}`,
        r.late ? '- **Note:** the result arrived after the run had been cancelled.' : undefined,
      ].filter((x): x is string => x !== undefined),
    );
    for (const a of r.actions) renderAction(a);
  }

  function approvedBy(r: ResolutionStep) {
    const all = r.approvers?.length ? r.approvers : r.approvedBy ? [r.approvedBy] : [];
    return all.map((d) => `${t(d.by)} at ${humanUtc(d.at)}`).join('; ') || 'no approval on record';
  }

  function renderAction(a: ActionOutcome) {
    para(block(a.command, 'bash'));
    if (a.outcome === 'unknown') {
      para('**Result:** ⚠️ unknown: no result was recorded; it may have run.');
      return;
    }
    if (a.outcome === 'not-run') {
      para('**Result:** not run (an earlier command failed, or no result arrived).');
      return;
    }
    const status = a.timedOut
      ? 'timed out'
      : a.unreachable
        ? 'target unreachable'
        : `exit code ${a.exitCode ?? 'none'}`;
    const empty = a.stdout.trim() === '' && a.stderr.trim() === '';
    para(
      `**Result:** ${a.outcome === 'succeeded' ? '✅' : '❌'} ${status}${a.error ? ` (${t(a.error)})` : ''}${empty ? ', no output' : ''}${a.outputCut ? ' (output shortened)' : ''}`,
    );
    if (a.stdout.trim() !== '') para(block(a.stdout, 'text'));
    if (a.stderr.trim() !== '') para('stderr:', '', block(a.stderr, 'text'));
  }

  function renderProposal(p: Proposal) {
    const fate =
      p.status === 'rejected'
        ? `rejected by ${t(p.rejected?.by ?? '?')} at ${when(p.rejected?.at)}`
        : p.status === 'expired'
          ? `expired ${p.approvals?.length ? '' : 'unanswered '}at ${humanUtc(p.expiresAt)}`
          : p.status === 'withdrawn'
            ? 'withdrawn when the run was cancelled'
            : `waiting for a decision until ${humanUtc(p.expiresAt)}`;
    const count = p.needed === undefined ? '' : `; it had ${t(approvalCount(p))}`;
    para(
      `### ${p.status === 'pending' ? 'Proposed, awaiting a decision' : 'Proposed, not run'}: ${t(p.title)}`,
    );
    para(
      `- **Risk:** ${p.risk}`,
      `- **Requested:** ${humanUtc(p.requestedAt)}`,
      `- **Approval:** ${fate}${count}`,
      `- **Would have been verified by:** ${p.verify.map(t).join(', ') || 'nothing listed'}`,
    );
    para('Commands it would have run:', '', block(p.commands.join('\n'), 'bash'));
  }

  function checkTitle(v: VerificationItem) {
    return `${v.title}${v.item === undefined ? '' : ` (${v.item})`}${v.round > 1 ? ` (round ${v.round})` : ''}`;
  }

  function checkStatus(v: VerificationItem) {
    return v.passed === true ? '✅' : v.passed === false ? '❌' : '⚪ not completed';
  }

  function checkEvidence(v: VerificationItem) {
    return [cell(v.statement), ...v.evidence.map(cell)].filter((x) => x !== '').join('<br>');
  }
}
