// The sentences of a report: what was not done, and the summary paragraph.

import type { Runbook } from './model.js';
import { humanUtc } from './report-time.js';
import type {
  CheckedStep,
  Proposal,
  ReportFinding,
  ResolutionStep,
  RootCause,
  VerificationItem,
} from './report-types.js';
import { blindSpots, blindSummary, isTerminal, placeOf } from './run-queries.js';
import type { RunState, StepRun } from './state.js';

/** "A", "A and B", "A, B and C". */
export const andList = (xs: readonly string[]) =>
  xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`;

/** Of a request that needed several approvers: "1 of 2 approvals (by A)". */
export const approvalCount = (p: Pick<Proposal, 'needed' | 'approvals'>) => {
  const given = p.approvals ?? [];
  return `${given.length} of ${p.needed ?? 1} approvals${given.length ? ` (by ${andList(given.map((d) => d.by))})` : ''}`;
};

export const sentence = (s: string) => {
  const t = s.trim();
  return t === '' || /[.!?]$/.test(t) ? t : `${t}.`;
};

/** What became of a repair, worded once for the report's summary (`said`) and its steps (`shown`). */
export function repairResult(status: StepRun['status']): { mark: string; shown: string; said: string } {
  switch (status) {
    case 'done':
      return { mark: '✅', shown: 'succeeded', said: 'succeeded' };
    case 'failed':
      return { mark: '❌', shown: 'failed', said: 'failed' };
    case 'skipped':
      return { mark: '⏭️', shown: 'not run', said: 'was not run' };
    case 'running':
      return { mark: '⏳', shown: 'no result yet', said: 'had not finished' };
    default:
      return {
        mark: '⚠️',
        shown: `${status}, result unknown`,
        said: `was ${status}, with no recorded result`,
      };
  }
}

export function whereOf(state: RunState): string {
  const p = placeOf(state);
  return p.kind === 'container' ? `container ${p.name}` : `host ${p.name} (over SSH)`;
}

export function whatWasNotDone(
  state: RunState,
  proposals: readonly Proposal[],
  resolution: readonly ResolutionStep[],
  verification: readonly VerificationItem[],
  person: (id: string) => string,
): string[] {
  const out: string[] = [];
  const cancel = state.timeline.find((e) => e.kind === 'cancelled');
  for (const p of proposals) {
    const name = `The repair "${p.title}"`;
    if (p.status === 'rejected')
      out.push(
        `${name} was not run: the approval was rejected by ${p.rejected?.by ?? 'someone'}${p.rejected ? ` at ${humanUtc(p.rejected.at)}` : ''}.`,
      );
    else if (p.status === 'expired')
      out.push(
        p.approvals?.length
          ? `${name} was not run: it had ${approvalCount(p)} when the approval expired at ${humanUtc(p.expiresAt)}.`
          : `${name} was not run: nobody decided before the approval expired at ${humanUtc(p.expiresAt)}.`,
      );
    else if (p.status === 'withdrawn')
      out.push(
        `${name} was not run: its approval was withdrawn when the run was cancelled${cancel?.by ? ` by ${person(cancel.by)}` : ''}.`,
      );
    else if (p.status === 'pending')
      out.push(
        p.needed === undefined
          ? `${name} has not run: its approval is still waiting for a decision.`
          : `${name} has not run: it has ${approvalCount(p)} so far.`,
      );
  }
  for (const r of resolution) {
    const why = r.note === undefined ? '' : ` (${r.note.replace(/\.$/, '')})`;
    if (r.status === 'failed') {
      const failed = r.actions.find((a) => a.outcome === 'failed');
      const skipped = r.actions.filter((a) => a.outcome === 'not-run').length;
      out.push(
        `The repair "${r.title}" failed${failed ? ` (at: ${failed.command})` : ''}${skipped ? `; ${skipped} later command(s) were not run` : ''}.`,
      );
    } else if (r.status === 'skipped') {
      out.push(`The repair "${r.title}" was approved but not run${why}.`);
    } else if (r.actions.some((a) => a.outcome === 'unknown')) {
      out.push(
        `The repair "${r.title}" ${r.status === 'interrupted' ? 'was interrupted' : 'has no recorded result'}${why}: it may have changed ${state.target.name} in part or in full. Check the target by hand before running it again.`,
      );
    }
  }
  const ran = resolution.some((r) => r.actions.some((a) => a.outcome !== 'not-run'));
  if (!ran) {
    if (proposals.length === 0) {
      const why =
        state.status === 'no-fault'
          ? 'nothing was found wrong'
          : state.status === 'inconclusive'
            ? 'the diagnosis could not read what a conclusion needs'
            : state.status === 'handed-over'
              ? `the run was handed over to ${state.outcome?.handover ?? 'another runbook'}`
              : state.status === 'cancelled'
                ? 'the run was cancelled before one was proposed'
                : isTerminal(state)
                  ? 'the runbook has no automatic repair for what was found, so the run ended without one'
                  : 'diagnosis has not finished';
      out.push(`No repair was proposed: ${why}.`);
    }
    if (isTerminal(state)) out.push(`No command that changes anything was run on ${state.target.name}.`);
  }
  const failedChecks = verification.filter((v) => v.passed === false);
  if (failedChecks.length > 0)
    out.push(`Verification did not pass: ${failedChecks.map((v) => v.title).join(', ')}.`);
  if (cancel && !out.some((s) => s.includes('cancelled')))
    out.push(`The run was cancelled by ${cancel.by ? person(cancel.by) : 'someone'}; nothing further ran.`);
  return out;
}

export function summarise(
  state: RunState,
  runbook: Runbook,
  r: {
    checked: CheckedStep[];
    rootCause: RootCause | undefined;
    otherProblems: ReportFinding[];
    resolution: ResolutionStep[];
    verification: VerificationItem[];
    notDone: string[];
    finished: boolean;
  },
): string {
  const parts: string[] = [];
  const ran = r.checked.filter((c) => c.status !== 'skipped').length;
  const where = `${state.target.name} (${whereOf(state)})`;
  parts.push(`The ${runbook.id} runbook ran ${ran} diagnosis check${ran === 1 ? '' : 's'} on ${where}.`);
  const blind = blindSpots(state);
  // An inconclusive outcome names them itself, below.
  if (blind.length > 0 && state.status !== 'inconclusive')
    parts.push(`${blind.length} of them could not be read: ${blindSummary(state)}.`);
  if (r.rootCause) {
    const lead = r.rootCause.evidence.find((f) => f.severity === 'critical') ?? r.rootCause.evidence[0];
    parts.push(`Root cause: ${sentence(r.rootCause.title)}`);
    if (lead) parts.push(sentence(lead.statement));
  } else if (state.status === 'inconclusive') {
    parts.push('So it could not tell whether anything is wrong, and it did not say it is healthy.');
  } else if (r.otherProblems.length > 0) {
    parts.push(
      `It found ${r.otherProblems.length} problem${r.otherProblems.length === 1 ? '' : 's'} but no root cause it recognises: ${r.otherProblems
        .map((f) => f.statement)
        .join('; ')}.`,
    );
  } else if (state.status !== 'diagnosing') {
    parts.push('It found nothing wrong.');
  }
  for (const step of r.resolution) {
    const who = step.approvers?.length ? andList(step.approvers.map((d) => d.by)) : step.approvedBy?.by;
    const by = who ? `, approved by ${who},` : '';
    const result = repairResult(step.status).said;
    parts.push(`The repair "${step.title}"${by} ${result}.`);
  }
  if (r.resolution.length === 0 && r.notDone[0]) parts.push(r.notDone[0]);
  const checks = r.verification.filter((v) => v.passed !== null);
  if (checks.length > 0) {
    const passed = checks.filter((v) => v.passed).length;
    parts.push(`Verification: ${passed} of ${checks.length} check${checks.length === 1 ? '' : 's'} passed.`);
  }
  if (state.outcome) parts.push(`Outcome: ${state.status}. ${sentence(state.outcome.summary)}`);
  else if (!r.finished) parts.push(`The run is still going (${state.status}).`);
  return parts.join(' ');
}
