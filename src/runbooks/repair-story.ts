import type { Runbook } from './model.js';
import type { ApprovalRun, RunState, StepRun } from './state.js';

// What happened around each repair, as the thread tells it: what it ran, what its checks read, why a
// follow-up repair is proposed, and where a rejection leads.

const byIssued = (a: StepRun, b: StepRun) => (a.issuedAt ?? 0) - (b.issuedAt ?? 0);

/** The repair runs of the run, in the order they were issued. */
export const repairRuns = (s: RunState): StepRun[] =>
  Object.values(s.steps)
    .filter((r) => r.kind === 'repair')
    .sort(byIssued);

/** The run of the repair an approval gated, once it was issued. */
export const repairRunOf = (s: RunState, approvalId: string): StepRun | undefined =>
  repairRuns(s).find((r) => r.approvalId === approvalId);

/** The verification checks of one repair run (each repair run has a round of its own). */
export const verifyRunsOf = (s: RunState, repair: StepRun): StepRun[] => {
  const round = repair.verifyRound ?? repair.round;
  return Object.values(s.steps)
    .filter((r) => r.kind === 'verify' && r.round === round)
    .sort(byIssued);
};

/** A verification check is settled once it passed, failed or could not be read. */
export const checkSettled = (r: StepRun) =>
  r.check !== undefined || r.unread !== undefined || r.status === 'skipped' || r.status === 'failed';

export interface FollowUpReason {
  /** The repair this one follows. */
  after: string;
  /** Whether that repair was verified (the fault it was for is fixed). */
  verified: boolean;
  /** What the check after it read, which makes this repair needed: one line each, with evidence. */
  because: { statement: string; evidence: readonly string[] }[];
}

/**
 * Why a repair is proposed after another one already ran: the checks run after the earlier repair
 * that still fail (its verification), or, after a verified repair, what the look after it found.
 * Undefined for the first repair of a run.
 */
export function followUpReason(s: RunState, a: ApprovalRun): FollowUpReason | undefined {
  const before = repairRuns(s).filter((r) => (r.finishedAt ?? r.issuedAt ?? 0) <= a.requestedAt);
  const last = before.at(-1);
  if (!last || last.approvalId === a.id) return undefined;
  const failed = verifyRunsOf(s, last).filter((r) => r.check && !r.check.passed && !r.check.otherFault);
  if (last.verified === false && failed.length > 0)
    return {
      after: last.title,
      verified: false,
      because: failed.map((r) => ({
        statement: r.check?.statement ?? r.title,
        evidence: r.check?.evidence ?? [],
      })),
    };
  return { after: last.title, verified: last.verified === true, because: [] };
}

/** What a rejection of this request leads to: the summary of the outcome its gate goes to. */
export function rejectLeadsTo(rb: Runbook | undefined, a: ApprovalRun): string | undefined {
  const gate = rb?.steps.find((x) => x.id === a.gateId);
  if (gate?.kind !== 'approval') return undefined;
  const to = rb?.steps.find((x) => x.id === gate.onReject);
  return to?.kind === 'outcome' ? to.summary : undefined;
}
