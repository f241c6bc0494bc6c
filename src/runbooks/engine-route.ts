import { evaluate, shapeOnly } from './condition.js';
import {
  type Flow,
  finish,
  note,
  pumpProbes,
  requestApproval,
  scopeOf,
  setStatus,
  stepOf,
} from './engine-flow.js';
import { RunbookBotError } from './errors.js';
import type { OutcomeStep, Step } from './model.js';
import {
  blindSpots,
  blindSummary,
  currentDiagnosis,
  diagnoseSteps,
  diagnosisRound,
  fixedCauses,
  NO_CLIENTS,
  NO_HEALTH_CHECKS,
  NO_QUEUES,
  verifiedRepairs,
} from './run-queries.js';

// Where a run goes between waits: triage decisions, rechecks, and the endings with what they owe
// the reader (what was repaired, what was found and left, what could not be seen).

/**
 * Whether a step counts as read for a healthy conclusion: it ran and was read, or it does not apply
 * to this target's shape (a container check on an SSH host). A step skipped because of what was
 * found, or not found, did not look, so a conclusion cannot rest on it.
 */
function readForHealth(f: Flow, id: string): boolean {
  const step = stepOf(f.rb, id);
  const runs = currentDiagnosis(f.s).filter((r) => r.stepId === id);
  if (step?.kind !== 'diagnose' || runs.length === 0) return false;
  return runs.every((r) =>
    r.status === 'skipped'
      ? r.unread === undefined &&
        (step.when === undefined ||
          shapeOnly(step.when) ||
          // Not applicable by what was read (AOF off: no AOF dir to look at); an unknown stays unread.
          evaluate(step.when, scopeOf(f)) === false ||
          r.skippedBecause === NO_CLIENTS ||
          r.skippedBecause === NO_HEALTH_CHECKS ||
          r.skippedBecause === NO_QUEUES)
      : r.status === 'done' && r.unread === undefined,
  );
}

const causeTitle = (f: Flow, id: string) => f.rb.causes[id]?.title ?? id;

/** What the run did and what it leaves, appended to every ending so no fault found goes unsaid. */
function endingNotes(f: Flow, kind: OutcomeStep['outcome']): string {
  const parts: string[] = [];
  const repaired = verifiedRepairs(f.s).map((r) => r.title);
  if (repaired.length > 0 && kind !== 'resolved')
    parts.push(`Repaired and verified: ${repaired.join('; ')}.`);
  const fixed = new Set(fixedCauses(f.s));
  const open = (f.s.causesFound ?? []).filter((c) => !fixed.has(c) && c !== f.s.cause);
  if (open.length > 0 && kind !== 'no-fault' && kind !== 'resolved')
    parts.push(`Also found, not repaired: ${open.map((c) => causeTitle(f, c)).join('; ')}.`);
  const blind = blindSummary(f.s);
  if (blind && kind !== 'inconclusive') parts.push(`Could not check: ${blind}.`);
  return parts.join(' ');
}

function inconclusive(f: Flow, why: string) {
  const n = blindSpots(f.s).length;
  const parts = [`Could not diagnose ${f.s.target.name}: ${why}.`];
  if (n > 0) parts.push(`${n} check${n > 1 ? 's' : ''} could not be read: ${blindSummary(f.s)}.`);
  const changed = Object.values(f.s.steps).some((r) => r.kind === 'repair' && r.results.length > 0);
  parts.push(
    changed ? 'Nothing further was changed; a person must look.' : 'Nothing was changed; a person must look.',
  );
  const tail = endingNotes(f, 'inconclusive');
  if (tail) parts.push(tail);
  finish(f, 'inconclusive', parts.join(' '));
}

function finishOutcome(f: Flow, step: OutcomeStep) {
  if (step.outcome === 'no-fault') {
    const missing = (step.restsOn ?? []).filter((id) => !readForHealth(f, id));
    if (step.restsOn === undefined || missing.length > 0) {
      const skipped = missing
        .filter((id) => !currentDiagnosis(f.s).some((r) => r.stepId === id && r.unread !== undefined))
        .map((id) => stepOf(f.rb, id)?.title ?? id);
      inconclusive(
        f,
        skipped.length > 0
          ? `a healthy conclusion rests on checks that did not run (${skipped.join(', ')})`
          : 'the checks a healthy conclusion rests on were not all read',
      );
      return;
    }
    const instead =
      step.ifRepaired && verifiedRepairs(f.s).length > 0 ? stepOf(f.rb, step.ifRepaired) : undefined;
    if (instead?.kind === 'outcome') step = instead;
  }
  if (step.handover && (f.s.handedOverFrom ?? []).includes(step.handover)) {
    finish(
      f,
      'escalated',
      `${step.summary.split(':')[0]}, but ${step.handover} already ran on this fault before this incident: handing it back would go round in circles. A person must look. ${endingNotes(f, 'escalated')}`.trim(),
    );
    return;
  }
  const tail = endingNotes(f, step.outcome);
  const repaired =
    step.outcome === 'resolved' && verifiedRepairs(f.s).length > 0
      ? ` Repaired and verified: ${verifiedRepairs(f.s)
          .map((r) => r.title)
          .join('; ')}.`
      : '';
  finish(f, step.outcome, `${step.summary}${repaired}${tail ? ` ${tail}` : ''}`, step.handover);
}

/** Picks the branch of a triage: the first that is true; unknown ones before it are blind spots. */
function decide(f: Flow, step: Extract<Step, { kind: 'decide' }>): string | undefined {
  const scope = scopeOf(f);
  const truths = step.branches.map((b) => evaluate(b.when, scope));
  const found = step.branches.filter((b, i) => truths[i] === true && b.cause).map((b) => b.cause as string);
  // What this look found, and only that: a cause from before a repair is not carried forward.
  f.s.causesFound = [...new Set(found)];
  const taken = step.branches.find((_, i) => truths[i] === true);
  if (!taken) {
    // The default means "none of these": it may be taken only when each was read to be absent.
    if (truths.includes('unknown')) {
      inconclusive(f, `what "${step.title}" needs to decide was not all read`);
      return undefined;
    }
    if (step.default === undefined)
      finish(f, 'escalated', `No branch of "${step.title}" matched what was found, and it has no default.`);
    return step.default;
  }
  if (taken.cause) {
    if (fixedCauses(f.s).includes(taken.cause)) {
      finish(
        f,
        'escalated',
        `${causeTitle(f, taken.cause)}: still there after its repair was verified. A person must look. ${endingNotes(f, 'escalated')}`.trim(),
      );
      return undefined;
    }
    f.s.cause = taken.cause;
  }
  note(f, 'decision', `${step.title}: ${taken.cause ? causeTitle(f, taken.cause) : `→ ${taken.to}`}`, {
    step: step.id,
  });
  return taken.to;
}

/** Follows control-flow edges from `id` until the run waits (for an approval) or ends. */
export function goTo(f: Flow, id: string) {
  for (let hops = 0; hops < 1000; hops++) {
    const step = stepOf(f.rb, id);
    if (!step) throw new RunbookBotError('RUNBOOK_INVALID', `runbook ${f.rb.id}: no step ${id}`);
    const visits = (f.s.visits[id] ?? 0) + 1;
    f.s.visits[id] = visits;
    if ('maxVisits' in step && step.maxVisits !== undefined && visits > step.maxVisits) {
      finish(
        f,
        'escalated',
        `Step "${step.title}" was reached ${visits} times, more than its limit of ${step.maxVisits}.`,
      );
      return;
    }
    switch (step.kind) {
      case 'decide': {
        const to = decide(f, step);
        if (to === undefined) return;
        id = to;
        continue;
      }
      case 'recheck': {
        const round = diagnosisRound(f.s) + 1;
        f.s.diagnosisRound = round;
        // Facts describe the target as the last look saw it: a new look starts from none.
        f.s.facts = {};
        f.s.phase = { kind: 'diagnosis', round };
        setStatus(f, 'diagnosing');
        note(f, 'recheck', `${step.title}: diagnosis round ${round}`, { step: id });
        if (!pumpProbes(f, diagnoseSteps(f.rb), round)) return;
        id = f.rb.afterDiagnosis;
        continue;
      }
      case 'approval': {
        const repair = stepOf(f.rb, step.repair);
        if (repair?.kind !== 'repair' || repair.approval !== step.id) {
          finish(f, 'escalated', `Approval "${step.title}" is not bound to a repair; nothing was run.`);
          return;
        }
        requestApproval(f, step.id, repair);
        return;
      }
      case 'outcome':
        finishOutcome(f, step);
        return;
      default:
        // A repair reached by an edge instead of through its approval: never run it.
        finish(f, 'escalated', `Refused to run "${step.title}": it was reached without its approval.`);
        return;
    }
  }
  throw new RunbookBotError('ENGINE_INVARIANT', `runbook ${f.rb.id}: too many hops without waiting`);
}
