import type { Action } from './action.js';
import type { DiagnoseStep, Finding, Runbook } from './model.js';
import type { ApprovalRun, RunState, StepRun } from './state.js';
import { TERMINAL } from './state.js';

// Questions asked of a run's state, answered in one place for the engine, the reports and the edges.

/** A per-client step on a target with no clients: skipped by the target's shape, not by a finding. */
export const NO_CLIENTS = 'the target has no clients';
/** A per-health-check step on a target whose clients declare none: skipped by its shape too. */
export const NO_HEALTH_CHECKS = 'no client of the target declares a health check';
export const NO_QUEUES = 'the target names no queues';

/** The clients a probe step runs once for: all, those with a health check, or one run (no client). */
export function itemsOf(
  step: Pick<DiagnoseStep, 'forEach'>,
  target: RunState['target'],
): (string | undefined)[] {
  if (step.forEach === 'client') return target.clients.map((c) => c.name);
  if (step.forEach === 'health-client') return target.clients.filter((c) => c.health).map((c) => c.name);
  if (step.forEach === 'queue') return [...(target.queues?.names ?? [])];
  return [undefined];
}

export const diagnosisRound = (s: RunState) => s.diagnosisRound ?? 1;

/** The diagnose step runs of the latest round: what the target looks like now. */
export function currentDiagnosis(s: RunState): StepRun[] {
  const round = diagnosisRound(s);
  return Object.values(s.steps).filter((r) => r.kind === 'diagnose' && r.round === round);
}

export function diagnosisFindings(s: RunState): Finding[] {
  return currentDiagnosis(s).flatMap((r) => r.findings);
}

/** What could not be read in the latest round: one line per unread check, naming it and why. */
export function blindSpots(s: RunState): string[] {
  return currentDiagnosis(s).flatMap((r) =>
    r.unread === undefined ? [] : [`${r.title}${r.item ? ` (${r.item})` : ''}: ${r.unread}`],
  );
}

/** The blind spots grouped by reason: "A, B, C: the target could not be reached (…); D: …". */
export function blindSummary(s: RunState): string {
  const byReason = new Map<string, string[]>();
  for (const r of currentDiagnosis(s)) {
    if (r.unread === undefined) continue;
    const names = byReason.get(r.unread) ?? [];
    names.push(`${r.title}${r.item ? ` (${r.item})` : ''}`);
    byReason.set(r.unread, names);
  }
  return [...byReason].map(([why, names]) => `${names.join(', ')}: ${why}`).join('; ');
}

/** Repairs of this run whose verification passed. */
export const verifiedRepairs = (s: RunState) =>
  Object.values(s.steps).filter((r) => r.kind === 'repair' && r.verified === true);

/** The causes those repairs were approved for. */
export const fixedCauses = (s: RunState) =>
  verifiedRepairs(s)
    .map((r) => (r.approvalId ? s.approvals[r.approvalId]?.cause : undefined))
    .filter((c): c is string => c !== undefined);

export const diagnoseSteps = (rb: Runbook) =>
  rb.steps.filter((x): x is DiagnoseStep => x.kind === 'diagnose');

/** The run has ended: nothing of it runs any more except a repair already under way. */
export const isTerminal = (s: Pick<RunState, 'status'>) => TERMINAL.has(s.status);

/** How many distinct people must approve this request before its repair runs. */
export const approvalsNeeded = (a: Pick<ApprovalRun, 'needed'>) => a.needed ?? 1;

/** Approvals still missing before the repair runs. */
export const approvalsMissing = (a: Pick<ApprovalRun, 'needed' | 'approvedBy'>) =>
  Math.max(0, approvalsNeeded(a) - (a.approvedBy?.length ?? 0));

/** The approval request a person may decide now, if any (at most one is pending at a time). */
export const pendingApproval = (s: RunState): ApprovalRun | undefined =>
  Object.values(s.approvals).find((a) => a.status === 'pending');

export type RepairClearance = { ok: true; actions: Action[] } | { ok: false; refused: string };

/**
 * May this queued repair run now? Only while the run waits for exactly this repair, under an approval
 * in force, with the very actions that were approved. Asked again the moment before it runs.
 */
export function repairClearance(
  s: RunState,
  job: { stepKey: string; approvalId?: string | undefined; actions: readonly Action[] },
): RepairClearance {
  const run = s.steps[job.stepKey];
  const approval = run?.approvalId ? s.approvals[run.approvalId] : undefined;
  if (s.status !== 'repairing' || s.phase.kind !== 'repair' || s.phase.stepKey !== job.stepKey)
    return { ok: false, refused: `the incident is no longer waiting for this repair (${s.status})` };
  if (
    run?.status !== 'running' ||
    run.approvalId !== job.approvalId ||
    approval?.status !== 'approved' ||
    // Asked only where a count was set: approvals from before it did not record their approvers.
    (approval.needed !== undefined && approvalsMissing(approval) > 0)
  )
    return { ok: false, refused: 'its approval is not in force' };
  if (JSON.stringify(approval.actions) !== JSON.stringify(job.actions))
    return { ok: false, refused: 'the queued repair is not the one that was approved' };
  return { ok: true, actions: approval.actions };
}

export interface Evidence {
  run: StepRun;
  finding: Finding;
}

/**
 * The findings that show a cause, in the order its runbook lists their codes: the root cause's
 * evidence wherever it is shown. `latest`: as the target looks now (the approval card); `all`: every
 * diagnosis round, so a report still shows what was found before the repair.
 */
export function causeEvidence(
  s: RunState,
  rb: Runbook | undefined,
  o: { causeId?: string | undefined; rounds: 'latest' | 'all' },
): Evidence[] {
  const id = o.causeId ?? s.cause;
  const cause = id === undefined ? undefined : rb?.causes[id];
  if (!cause) return [];
  const runs =
    o.rounds === 'latest' ? currentDiagnosis(s) : Object.values(s.steps).filter((r) => r.kind === 'diagnose');
  const rank = (e: Evidence) => cause.evidence.indexOf(e.finding.code);
  return runs
    .flatMap((run) => run.findings.map((finding) => ({ run, finding })))
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => rank(e) >= 0)
    .sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i)
    .map(({ e }) => e);
}

/** Where the target's Redis is: its container, or its host over SSH. */
export function placeOf(s: RunState): { kind: 'container' | 'host'; name: string } {
  const r = s.target.redis;
  return s.target.kind === 'docker'
    ? { kind: 'container', name: r.container ?? '?' }
    : { kind: 'host', name: r.sshHost ?? r.host };
}

/** How an incident opened by an alert names its starter: never a Slack user id, so no person is it. */
export const ALERT_STARTER = 'alertmanager:';

/** The alert's name when an alert opened the run (its startedBy is `alertmanager:<alertname>`). */
export const openedByAlert = (startedBy: string): string | undefined =>
  startedBy.startsWith(ALERT_STARTER) ? startedBy.slice(ALERT_STARTER.length) : undefined;

/** The alerts of the run that have resolved, in the order they were recorded. */
export const resolvedAlerts = (s: RunState) =>
  Object.values(s.alerts ?? {}).filter((a) => a.status === 'resolved');
