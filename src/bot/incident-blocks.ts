// What an incident looks like in Slack: the root message (updated in place as the run moves) and the
// findings posted in its thread. Pure functions from the run state to Block Kit.
import type { Finding, Runbook, RunState, RunStatus, StepRun } from '../runbooks/index.js';
import {
  formatDuration,
  humanUtc,
  openedByAlert,
  pendingApproval,
  placeOf,
  resolvedAlerts,
  utcIso,
} from '../runbooks/index.js';
import {
  type Block,
  codeSections,
  context,
  escapeMrkdwn,
  type FittedMessage,
  fitOrFile,
  header,
  sections,
} from './blocks.js';

export const STATUS_LABEL: Record<RunStatus, string> = {
  diagnosing: ':mag: Diagnosing',
  'awaiting-approval': ':hourglass_flowing_sand: Waiting for approval',
  repairing: ':wrench: Repairing',
  verifying: ':test_tube: Verifying',
  resolved: ':white_check_mark: Resolved',
  escalated: ':rotating_light: Escalated',
  'no-fault': ':white_check_mark: No fault found',
  inconclusive: ':grey_question: Could not diagnose',
  'handed-over': ':leftwards_arrow_with_hook: Handed over',
  rejected: ':no_entry: Repair rejected',
  expired: ':hourglass: Approval expired',
  interrupted: ':warning: Repair interrupted',
  cancelled: ':no_entry_sign: Cancelled',
};

const SEVERITY_ICON: Record<Finding['severity'], string> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  info: ':large_blue_circle:',
  ok: ':white_check_mark:',
  unknown: ':grey_question:',
};

export const utc = (ms: number) => humanUtc(utcIso(ms));
export const plainStatus = (s: RunStatus) => STATUS_LABEL[s].replace(/^:[a-z_]+: /, '');

export function whereText(state: RunState): string {
  const p = placeOf(state);
  const name = `\`${escapeMrkdwn(p.name)}\``;
  return p.kind === 'container' ? `container ${name}` : `host ${name} over SSH`;
}

export interface RootView {
  id: string;
  state: RunState;
  runbook: Runbook | undefined;
  /** The incident this one was handed over to, or from. */
  handedOverTo?: string;
  parent?: string;
  /** The alert that opened it, as received (meta): shown escaped, the link only as a link. */
  alert?: { name: string; severity?: string; summary?: string; url?: string };
  /** Who may approve, mentioned while an approval waits. */
  approvers?: { users: readonly string[]; groups: readonly string[] };
  /** Where the report is, once it is posted (mrkdwn, ours: a link or a file name). */
  report?: string;
}

/** Who opened an incident: a person (a mention) or an alert (its name). */
export function starterText(startedBy: string): string {
  const alert = openedByAlert(startedBy);
  return alert === undefined ? `<@${escapeMrkdwn(startedBy)}>` : `alert \`${escapeMrkdwn(alert)}\``;
}

/** The alert lines of the root message: what fired, how bad, what it says, where it came from. */
function alertLines(v: RootView): string[] {
  const a = v.alert;
  const lines: string[] = [];
  if (a) {
    lines.push(
      `*Alert:* \`${escapeMrkdwn(a.name)}\`${a.severity ? ` (severity ${escapeMrkdwn(a.severity)})` : ''}`,
    );
    if (a.summary) lines.push(`*Summary:* ${escapeMrkdwn(a.summary)}`);
    if (a.url) lines.push(`*Source:* <${escapeMrkdwn(a.url)}|the alert's expression in Prometheus>`);
  }
  for (const r of resolvedAlerts(v.state))
    lines.push(`*Alert resolved:* \`${escapeMrkdwn(r.name)}\` at ${utc(r.resolvedAt ?? r.detectedAt)}`);
  return lines;
}

/** The root message's title: what was found, not the runbook's name. */
export function headline(v: RootView): string {
  const s = v.state;
  const cause = s.cause === undefined ? undefined : v.runbook?.causes[s.cause];
  if (cause) return cause.title;
  switch (s.status) {
    case 'diagnosing':
      return 'diagnosing…';
    case 'no-fault':
      return 'healthy';
    case 'inconclusive':
      return 'could not diagnose';
    case 'cancelled':
      return 'cancelled';
    default:
      return s.outcome?.summary.split('.')[0] ?? plainStatus(s.status);
  }
}

/** How bad: the alert's own severity, else the worst finding behind the root cause. */
function severityOf(v: RootView): string | undefined {
  if (v.alert?.severity) return escapeMrkdwn(v.alert.severity);
  const s = v.state;
  if (s.status === 'no-fault') return 'none';
  if (s.cause === undefined) return undefined;
  const found = Object.values(s.steps).flatMap((r) => r.findings.map((f) => f.severity));
  return found.includes('critical') ? 'critical' : found.includes('warning') ? 'warning' : undefined;
}

function neededNext(v: RootView): string[] {
  const pending = pendingApproval(v.state);
  if (!pending) return [];
  const who = v.approvers
    ? [
        ...v.approvers.users.map((u) => `<@${escapeMrkdwn(u)}>`),
        ...v.approvers.groups.map((g) => `<!subteam^${escapeMrkdwn(g)}>`),
      ]
    : [];
  return [
    `*Waiting for approval:* ${escapeMrkdwn(pending.title)} (risk ${pending.risk}), expires ${utc(pending.expiresAt)}. The card is in the thread.`,
    `*Needed next:* ${who.length ? `${who.join(', ')}: approve or reject the card in the thread` : 'a decision on the card in the thread (no approvers are configured)'}`,
  ];
}

export function rootMessage(v: RootView): { text: string; blocks: Block[] } {
  const s = v.state;
  const title = headline(v);
  const severity = severityOf(v);
  const lines = [
    `*Phase:* ${STATUS_LABEL[s.status]}`,
    ...(severity ? [`*Severity:* ${severity}`] : []),
    `*Target:* \`${escapeMrkdwn(s.target.name)}\` (${whereText(s)})`,
    `*Runbook:* \`${escapeMrkdwn(s.runbookId)}\``,
    `*${openedByAlert(s.startedBy) === undefined ? 'Started' : 'Opened'} by:* ${starterText(s.startedBy)} at ${utc(s.startedAt)}`,
    ...alertLines(v),
    s.endedAt !== undefined
      ? `*Ended:* ${utc(s.endedAt)}, after ${formatDuration(s.endedAt - s.startedAt)}`
      : `*Elapsed:* ${formatDuration(s.updatedAt - s.startedAt)} at the last change`,
  ];
  const blocks: Block[] = [header(`${v.id}: ${title}`), ...sections(lines.join('\n'))];
  const cause = s.cause === undefined ? undefined : v.runbook?.causes[s.cause];
  if (cause) blocks.push(...sections(`*Root cause:* ${escapeMrkdwn(cause.title)}`));
  const next = neededNext(v);
  if (next.length) blocks.push(...sections(next.join('\n')));
  if (s.outcome) blocks.push(...sections(`*Outcome:* ${escapeMrkdwn(s.outcome.summary)}`));
  if (v.report) blocks.push(...sections(`*Report:* ${v.report}`));
  if (v.handedOverTo) blocks.push(...sections(`*Handed over to:* ${escapeMrkdwn(v.handedOverTo)}`));
  if (v.parent) blocks.push(context(`Handed over from ${escapeMrkdwn(v.parent)}.`));
  blocks.push(
    context(
      `Updated ${utc(s.updatedAt)}. The diagnosis, the approvals, each repair and the report are in the thread.`,
    ),
  );
  return {
    text: `${v.id} ${plainStatus(s.status)}: ${title} on ${s.target.name}`,
    blocks: fitOrFile(blocks, 'More in the thread.').blocks,
  };
}

/** Findings as plain text: the file that goes with a message whose evidence does not fit. */
export function findingsText(id: string, run: StepRun): string {
  const out = [`${id}: ${stepTitle(run)}`, '', `Commands: ${run.commands.join(' ; ')}`, ''];
  for (const f of run.findings) {
    out.push(`[${f.severity}] ${f.statement} (${f.code})`);
    for (const e of f.evidence) out.push(`    ${e}`);
    out.push('');
  }
  return out.join('\n');
}

const stepTitle = (run: StepRun) => (run.item === undefined ? run.title : `${run.title} (${run.item})`);

/** Evidence is inline while the message stays readable; beyond this it goes into a file. */
const INLINE_EVIDENCE_CHARS = 6000;

export function findingsMessage(
  id: string,
  run: StepRun,
): FittedMessage & { text: string; filename: string; fullText: string } {
  const evidenceChars = run.findings.reduce((n, f) => n + f.evidence.join('\n').length, 0);
  const inline = evidenceChars <= INLINE_EVIDENCE_CHARS;
  const blocks: Block[] = [
    ...sections(`*${escapeMrkdwn(stepTitle(run))}*`),
    context(`\`${escapeMrkdwn(run.commands.join(' ; ') || '(no command)')}\``),
  ];
  for (const f of run.findings) {
    blocks.push(...sections(`${SEVERITY_ICON[f.severity]} ${escapeMrkdwn(f.statement)}`));
    if (inline && f.evidence.length > 0) blocks.push(...codeSections(f.evidence));
  }
  const filename = `${id}-${run.key.replace(/[^A-Za-z0-9._-]/g, '_')}-findings.txt`;
  const note = `The full findings with their evidence are in the attached file \`${escapeMrkdwn(filename)}\`.`;
  if (!inline) blocks.push(context(note));
  const fitted = fitOrFile(blocks, note);
  const worst = run.findings.find((f) => f.severity === 'critical') ?? run.findings[0];
  return {
    ...fitted,
    overflow: fitted.overflow || !inline,
    text: `${stepTitle(run)}: ${worst?.statement ?? 'nothing found'}`,
    filename,
    fullText: findingsText(id, run),
  };
}
