// The sentences of a report: what was not done, and the summary paragraph.

import { humanUtc } from './report-time.js';
import type {
  CheckedStep,
  Impact,
  Proposal,
  ReportFinding,
  ResolutionStep,
  RootCause,
  VerificationItem,
} from './report-types.js';
import { blindSummary, isTerminal, placeOf } from './run-queries.js';
import type { RunState, RunStatus, StepRun } from './state.js';

export const STATUS_WORD: Record<RunStatus, string> = {
  diagnosing: 'still diagnosing',
  'awaiting-approval': 'waiting for approval',
  repairing: 'repairing',
  verifying: 'verifying',
  resolved: 'resolved',
  escalated: 'escalated to a person',
  'no-fault': 'no fault found',
  inconclusive: 'could not diagnose',
  'handed-over': 'handed over',
  rejected: 'repair rejected',
  expired: 'approval expired',
  interrupted: 'repair interrupted',
  cancelled: 'cancelled',
};

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

/** "The data directory is …" → "the data directory is …", keeping names such as "Redis". */
const lower = (t: string) => (/^(The|A|An) /.test(t) ? t[0]?.toLowerCase() + t.slice(1) : t);
const noStop = (t: string) => t.trim().replace(/[.!?]$/, '');

/**
 * Two or three sentences: what broke and why, what was done, how it ended. The details are in the
 * report's sections; this is what a person reads first (and the line the thread shows).
 */
export function summarise(
  state: RunState,
  r: {
    checked: CheckedStep[];
    rootCause: RootCause | undefined;
    otherProblems: ReportFinding[];
    resolution: ResolutionStep[];
    verification: VerificationItem[];
    notDone: string[];
    finished: boolean;
    impact: Impact;
    duration: string;
  },
): string {
  const where = `${state.target.name} (${whereOf(state)})`;
  const parts: string[] = [];
  const effect = r.impact.effects[0];
  const since = r.impact.since ? ` from ${humanUtc(r.impact.since.at)}` : '';
  if (r.rootCause) {
    const lead = r.rootCause.evidence.find((f) => f.severity === 'critical') ?? r.rootCause.evidence[0];
    const what = effect
      ? `${noStop(effect.short)}${since}, because ${lower(noStop(r.rootCause.title))}`
      : noStop(r.rootCause.title);
    parts.push(`On ${where}, ${lower(what)}${lead ? `: ${noStop(lead.statement)}` : ''}.`);
  } else if (state.status === 'inconclusive') {
    parts.push(`The diagnosis of ${where} could not be completed: ${noStop(blindSummary(state))}.`);
  } else if (r.otherProblems.length > 0) {
    parts.push(
      `On ${where}, the runbook found ${r.otherProblems.length === 1 ? 'a problem' : `${r.otherProblems.length} problems`} it has no root cause for: ${r.otherProblems.map((f) => noStop(f.statement)).join('; ')}.`,
    );
  } else if (state.status === 'diagnosing') {
    parts.push(`The diagnosis of ${where} is still going.`);
  } else {
    const ran = r.checked.filter((c) => c.status !== 'skipped').length;
    parts.push(`On ${where}, every one of the ${ran} checks that ran read healthy.`);
  }

  const done = r.resolution.map((step) => {
    const who = step.approvers?.length ? andList(step.approvers.map((d) => d.by)) : step.approvedBy?.by;
    return `${who ? `${who} approved ` : ''}"${step.title}", which ${repairResult(step.status).said}`;
  });
  const checks = r.verification.filter((v) => v.passed !== null);
  const passed = checks.filter((v) => v.passed).length;
  const verified =
    checks.length > 0
      ? `; verification: ${passed} of ${checks.length} check${checks.length === 1 ? '' : 's'} passed`
      : '';
  if (done.length > 0)
    parts.push(`${sentence(`${andList(done)}${verified}`)}`.replace(/^./, (c) => c.toUpperCase()));
  else if (r.notDone[0]) parts.push(r.notDone[0]);

  if (state.status === 'inconclusive')
    parts.push('Nothing was changed, and the target was not said to be healthy: a person must look.');
  else if (state.outcome && state.status !== 'cancelled') {
    const first = state.outcome.summary.split(/(?<=[.!?])\s+(?=[A-Z])/)[0] ?? state.outcome.summary;
    parts.push(`It ended after ${r.duration} as ${STATUS_WORD[state.status]} (${lower(noStop(first))}).`);
  } else if (state.status === 'cancelled') parts.push(`It was cancelled after ${r.duration}.`);
  else if (!r.finished) parts.push(`The run is still going (${STATUS_WORD[state.status]}).`);
  return parts.join(' ');
}
