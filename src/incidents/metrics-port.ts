import type { RunState, RunStatus, StepRun } from '../runbooks/index.js';
import { isTerminal } from '../runbooks/index.js';
import type { IncidentListing } from './summary.js';

// What the orchestrator tells the metrics, derived from the state before and after each saved write
// rather than sprinkled through the engine: the engine stays pure, and the one place transitions are
// applied is the one place they are counted. Every label here is a bounded set (runbook and step ids
// come from the catalogue, the rest from enums), never an incident, target or user.

/** Where an incident came from: a person's slash command, an alert, or another incident's handover. */
export type IncidentSource = 'slack' | 'alert' | 'handover';

export type ApprovalEnd = 'approved' | 'rejected' | 'expired' | 'withdrawn';

export type Observation =
  | { kind: 'started'; runbook: string; source: IncidentSource }
  | { kind: 'ended'; runbook: string; outcome: RunStatus }
  | { kind: 'step-finished'; runbook: string; step: string; stepKind: StepRun['kind']; seconds: number }
  | {
      kind: 'approval-ended';
      runbook: string;
      risk: 'low' | 'medium' | 'high';
      decision: ApprovalEnd;
      seconds: number;
    };

/** The port the orchestrator records through; an implementation must never throw. */
export interface IncidentMetrics {
  record(observations: readonly Observation[]): void;
}

/** The alert intake's counters. */
export interface AlertMetrics {
  /** Every alert of every notification: matched when it was routed to a runbook and target (firing) or to its incident (resolved). */
  received(status: 'firing' | 'resolved', matched: boolean): void;
  /** A firing alert that joined an incident already there for it instead of starting one. */
  deduplicated(): void;
  /** A firing alert that would have started an incident beyond its target's hourly limit. */
  rateLimited(): void;
}

// A step that was skipped (never issued) or whose worker died has no duration worth a histogram.
const TIMED: ReadonlySet<StepRun['status']> = new Set(['done', 'failed']);

/**
 * What one transition means for the metrics. `before` is undefined for a state just started. Each
 * fact is seen exactly once, because it is read from a field changing (a finish time appearing, a
 * status leaving `pending`, the run becoming terminal) and a saved write is never applied twice.
 */
export function observeTransition(before: RunState | undefined, after: RunState): Observation[] {
  const out: Observation[] = [];
  const runbook = after.runbookId;
  for (const run of Object.values(after.steps)) {
    if (run.finishedAt === undefined || run.issuedAt === undefined || !TIMED.has(run.status)) continue;
    if (before?.steps[run.key]?.finishedAt !== undefined) continue;
    const seconds = Math.max(0, run.finishedAt - run.issuedAt) / 1000;
    out.push({ kind: 'step-finished', runbook, step: run.stepId, stepKind: run.kind, seconds });
  }
  for (const a of Object.values(after.approvals)) {
    if (a.status === 'pending') continue;
    const was = before?.approvals[a.id]?.status;
    if (was !== undefined && was !== 'pending') continue;
    // Expiry and withdrawal record no decision time: an expired request waited its whole TTL, a
    // withdrawn one until the write that withdrew it.
    const endedAt = a.status === 'expired' ? a.expiresAt : (a.decidedAt ?? after.updatedAt);
    const seconds = Math.max(0, endedAt - a.requestedAt) / 1000;
    out.push({ kind: 'approval-ended', runbook, risk: a.risk, decision: a.status, seconds });
  }
  if (isTerminal(after) && !(before && isTerminal(before)))
    out.push({ kind: 'ended', runbook, outcome: after.status });
  return out;
}

/** What starting an incident means: it started, from `source` (and, rarely, already ended). */
export const observeStart = (state: RunState, source: IncidentSource): Observation[] => [
  { kind: 'started', runbook: state.runbookId, source },
  ...observeTransition(undefined, state),
];

/**
 * Approval requests waiting for a person, among these incidents (the gauge read on each scrape). At
 * most one is pending per incident at a time, and its summary names it.
 */
export const pendingApprovals = (listed: readonly IncidentListing[]): number =>
  listed.filter((l) => !isTerminal(l.summary) && l.summary.pending !== undefined).length;
