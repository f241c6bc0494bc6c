// Renders the incident report (src/runbooks/report.ts) as a postmortem in Markdown, for the
// incident thread, the reports folder and the team's postmortem tool: what a person reads first
// (summary, impact, what was not done, timeline, clock) here, the details in markdown-sections.ts.
// It reads as plain text too: no HTML, no tables but the clock's. Pure: no I/O, no clock.
import type { Report } from '../runbooks/report.js';
import { humanUtc, MILESTONE_LABEL, shortUtc } from '../runbooks/report.js';
import type { RunStatus } from '../runbooks/state.js';
import { clip, type Doc, newDoc } from './markdown-doc.js';
import {
  renderAppendix,
  renderChanges,
  renderFollowUps,
  renderPeople,
  renderRecommendations,
  renderRootCause,
  renderVerification,
} from './markdown-sections.js';

const STATUS: Record<RunStatus, string> = {
  diagnosing: '🔄 Diagnosing (still running)',
  'awaiting-approval': '⏳ Awaiting approval (still running)',
  repairing: '🔧 Repairing (still running)',
  verifying: '🔎 Verifying (still running)',
  resolved: '✅ Resolved',
  escalated: '⚠️ Escalated: a person must act',
  'no-fault': '✅ No fault found',
  inconclusive: '❔ Could not diagnose',
  'handed-over': '↪️ Handed over',
  rejected: '⛔ Repair rejected: not repaired',
  expired: '⌛ Approval expired: not repaired',
  interrupted: '⚠️ Repair interrupted',
  cancelled: '🚫 Cancelled',
};

/**
 * The report as a Markdown document, readable as plain text too. `secrets`: values that must not
 * appear (the target's password, tokens); they and every recognisable credential become [REDACTED].
 */
export function renderMarkdown(report: Report, secrets: readonly string[] = []): string {
  const d = newDoc(secrets);
  const h = report.header;
  d.para(`# Incident report ${d.t(h.incidentId)}: ${d.t(report.title)}`);
  d.para(
    `- **Status:** ${STATUS[h.status]}`,
    `- **Target:** ${d.t(h.target.name)} (${d.t(h.target.where)})`,
    `- **Runbook:** ${d.t(h.runbook.id)} (${d.t(h.runbook.title)})`,
    h.openedByAlert === undefined
      ? `- **Opened by:** ${d.t(h.startedBy)}, ${humanUtc(h.startedAt)}`
      : `- **Opened by:** alert ${d.code(h.openedByAlert)} (Alertmanager), ${humanUtc(h.startedAt)}`,
    h.endedAt
      ? `- **Ended:** ${humanUtc(h.endedAt)}, after ${h.duration}`
      : `- **Ended:** not yet, the run is still going (${h.duration} so far)`,
  );

  d.para('## Summary');
  d.para(d.t(report.summary));
  if (report.handover) d.para(`Handed over to the ${d.t(report.handover)} runbook.`);

  renderImpact(d, report);
  renderNotDone(d, report);
  renderStory(d, report);
  renderClock(d, report);
  renderRootCause(d, report);
  renderChanges(d, report);
  renderVerification(d, report);
  renderRecommendations(d, report);
  renderFollowUps(d, report);
  renderPeople(d, report);
  renderAppendix(d, report);

  d.para('---');
  d.para(
    `_Written by runbook-bot from run ${d.t(h.incidentId)} (runbook ${d.t(h.runbook.id)})${h.generatedAt ? ` at ${humanUtc(h.generatedAt)}` : ''}._`,
  );
  return d.text();
}

function renderImpact(d: Doc, report: Report) {
  const i = report.impact;
  d.para('## Impact');
  const lines = [
    ...(i.effects.length === 0
      ? ['- What the clients saw: not known from the evidence.']
      : i.effects.map((e) => `- ${d.t(e.text)}.${e.evidence ? ` Seen: ${d.code(clip(e.evidence))}` : ''}`)),
    i.since
      ? `- **Since:** ${humanUtc(i.since.at)}, ${d.t(i.since.source)}${i.since.evidence ? `: ${d.code(clip(i.since.evidence))}` : ''}.`
      : `- **Since:** not known: the evidence dates no failure${i.sinceNote ? ` (${d.t(i.sinceNote)})` : ''}.`,
  ];
  if (i.since?.source.includes('Redis log'))
    lines.push(
      report.header.target.kind === 'ssh'
        ? "- Redis log times carry no time zone; they are read as UTC. If the host's clock is set to another zone, the onset is off by its offset."
        : '- Redis log times carry no time zone; they are read as UTC, the clock of the official Redis image.',
    );
  if (i.lastSave)
    lines.push(`- **Last successful save:** ${humanUtc(i.lastSave.at)} (${d.code(i.lastSave.evidence)}).`);
  d.para(...lines);
}

function renderNotDone(d: Doc, report: Report) {
  const resolved = report.header.status === 'resolved' || report.header.status === 'no-fault';
  if (resolved && report.notDone.length === 0) return;
  if (report.notDone.length === 0 && report.next.length === 0) return;
  d.para('## What was not done');
  if (report.notDone.length > 0) d.para(...report.notDone.map((x) => `- ${d.t(x)}`));
  if (report.next.length > 0) {
    d.para('**What to look at next**');
    d.para(...report.next.map((x) => `- ${d.t(x)}`));
  }
}

function renderStory(d: Doc, report: Report) {
  const day = report.header.startedAt;
  d.para('## Timeline');
  d.para(
    `Times are UTC, on ${day.slice(0, 10)} unless a date is given. The full event log is in the appendix.`,
  );
  d.para(...report.story.map((l) => `- **${shortUtc(l.at, day)}** ${d.t(l.text)}`));
}

function renderClock(d: Doc, report: Report) {
  const day = report.header.startedAt;
  d.para('## Incident clock');
  d.para(
    '| Milestone | Time | After the first |',
    '| --- | --- | --- |',
    ...report.clock.milestones.map((m) => `| ${m.label} | ${shortUtc(m.at, day)} | ${m.elapsed} |`),
  );
  if (report.clock.durations.length > 0)
    d.para(
      ...report.clock.durations.map(
        (x) =>
          `- **${x.name}:** ${x.text} (${MILESTONE_LABEL[x.from].replace(/ \(.*/, '').toLowerCase()} to ${MILESTONE_LABEL[x.to].replace(/ \(.*/, '').toLowerCase()})`,
      ),
    );
  if (report.alerts.length > 0) {
    d.para('**Alerts**');
    d.para(
      ...report.alerts.map(
        (a) =>
          `- ${d.code(a.name)}${a.opened ? ' (opened the incident)' : ''}: started ${a.startsAt ? humanUtc(a.startsAt) : 'at a time not given'}, received ${humanUtc(a.detectedAt)}, ${a.resolvedAt ? `resolved ${humanUtc(a.resolvedAt)}` : a.status === 'resolved' ? 'resolved' : 'still firing'}.`,
      ),
    );
  }
}
