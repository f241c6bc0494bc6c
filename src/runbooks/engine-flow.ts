import { renderAction } from './action.js';
import { type ConditionScope, evaluate, shapeOnly } from './condition.js';
import { RunbookBotError } from './errors.js';
import type {
  DiagnoseStep,
  Finding,
  OutcomeStep,
  ProbeStep,
  RepairStep,
  Runbook,
  Step,
  StepContext,
} from './model.js';
import type { ApprovalRun, EngineCommand, RunState, RunStatus, StepRun } from './state.js';
import { TERMINAL } from './state.js';

/** A per-client step on a target with no clients: skipped by the target's shape, not by a finding. */
const NO_CLIENTS = 'the target has no clients';

/** One advance in progress: a private copy of the state and the commands it produces. */
export interface Flow {
  rb: Runbook;
  s: RunState;
  at: number;
  out: EngineCommand[];
  /** Applied to everything stored from a target's output. */
  redact: (text: string, opts?: { cut?: boolean }) => string;
}

export function stepOf(rb: Runbook, id: string): Step | undefined {
  return rb.steps.find((x) => x.id === id);
}

export function contextFor(s: RunState, item?: string): StepContext {
  return item === undefined
    ? { target: s.target, facts: s.facts }
    : { target: s.target, facts: s.facts, item };
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

const diagnoseSteps = (rb: Runbook) => rb.steps.filter((x): x is DiagnoseStep => x.kind === 'diagnose');

/** Codes of every diagnose step with an unread instance this round: their absence proves nothing. */
function unknownCodes(f: Flow): Set<string> {
  const unread = new Set(
    currentDiagnosis(f.s)
      .filter((r) => r.unread !== undefined)
      .map((r) => r.stepId),
  );
  return new Set(diagnoseSteps(f.rb).flatMap((d) => (unread.has(d.id) ? d.emits : [])));
}

export const scopeOf = (f: Flow): ConditionScope => ({
  findings: diagnosisFindings(f.s),
  facts: f.s.facts,
  target: f.s.target,
  unknownCodes: unknownCodes(f),
  someUnread: currentDiagnosis(f.s).some((r) => r.unread !== undefined),
  readSteps: new Set(
    currentDiagnosis(f.s)
      .filter((r) => r.status === 'done' && r.unread === undefined)
      .map((r) => r.stepId),
  ),
  unreadSteps: new Set(
    currentDiagnosis(f.s)
      .filter((r) => r.unread !== undefined)
      .map((r) => r.stepId),
  ),
});

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
        (step.when === undefined || shapeOnly(step.when) || r.skippedBecause === NO_CLIENTS)
      : r.status === 'done' && r.unread === undefined,
  );
}

export const stepKey = (id: string, item: string | undefined, round: number) =>
  `${id}${item === undefined ? '' : `@${item}`}${round > 1 ? `~${round}` : ''}`;

export const jobIdOf = (runId: string, key: string, attempt: number) => `${runId}.${key}.a${attempt}`;

export function note(
  f: Flow,
  kind: RunState['timeline'][number]['kind'],
  text: string,
  extra?: { step?: string; by?: string },
) {
  f.s.timeline.push({ at: f.at, kind, text, ...extra });
}

export function setStatus(f: Flow, status: RunStatus) {
  if (f.s.status === status) return;
  f.s.status = status;
  f.out.push({ type: 'status', runId: f.s.runId, status });
}

export function finish(
  f: Flow,
  kind: NonNullable<RunState['outcome']>['kind'],
  summary: string,
  handover?: string,
) {
  f.s.outcome = handover === undefined ? { kind, summary } : { kind, summary, handover };
  f.s.phase = { kind: 'done' };
  f.s.endedAt = f.at;
  const status: RunStatus = kind;
  setStatus(f, status);
  note(f, 'finished', `${status}: ${summary}`);
  f.out.push({ type: 'finish', runId: f.s.runId, status, summary });
  if (handover !== undefined) f.out.push({ type: 'handover', runId: f.s.runId, runbookId: handover });
}

export function issue(f: Flow, run: StepRun, timeoutMs: number, delayMs?: number) {
  f.out.push({
    type: 'execute',
    runId: f.s.runId,
    stepKey: run.key,
    stepId: run.stepId,
    kind: run.kind,
    attempt: run.attempt,
    actions: run.actions,
    timeoutMs,
    jobId: jobIdOf(f.s.runId, run.key, run.attempt),
    ...(delayMs ? { delayMs } : {}),
    ...(run.approvalId ? { approvalId: run.approvalId } : {}),
  });
}

const complete = (r: StepRun) => r.status !== 'running';

function instantiate(f: Flow, step: ProbeStep, round: number) {
  const base = {
    stepId: step.id,
    kind: step.kind,
    title: step.title,
    round,
    attempt: 1,
    results: [],
    findings: [],
  };
  const skip = (item: string | undefined, why: string, unread?: string) => {
    const key = stepKey(step.id, item, round);
    f.s.steps[key] = {
      ...base,
      key,
      status: 'skipped',
      commands: [],
      actions: [],
      skippedBecause: why,
      ...(unread === undefined ? {} : { unread }),
      finishedAt: f.at,
    };
    note(f, 'step-skipped', `${step.title}${item ? ` (${item})` : ''}: skipped, ${why}`, { step: key });
  };
  // A condition that cannot be told (what it reads was not seen) runs the step: looking is read-only.
  if (step.when && evaluate(step.when, scopeOf(f)) === false) {
    skip(undefined, 'not applicable to what was found');
    return;
  }
  const items = step.forEach === 'client' ? f.s.target.clients.map((c) => c.name) : [undefined];
  if (items.length === 0) skip(undefined, NO_CLIENTS);
  for (const item of items) {
    const action = step.action(contextFor(f.s, item));
    if (action === null) {
      const from = step.needs.map((n) => stepOf(f.rb, n)?.title ?? n).join(', ');
      skip(
        item,
        'a fact it needs was not found',
        `not run: a value it needs (from ${from || 'earlier checks'}) was not found`,
      );
      continue;
    }
    const key = stepKey(step.id, item, round);
    const run: StepRun = {
      ...base,
      key,
      status: 'running',
      commands: [renderAction(action, f.s.target)],
      actions: [action],
      issuedAt: f.at,
      ...(item === undefined ? {} : { item }),
    };
    f.s.steps[key] = run;
    note(f, 'step-issued', `${step.title}${item ? ` (${item})` : ''}: ${run.commands[0]}`, { step: key });
    issue(f, run, step.timeoutMs);
  }
}

/** Issues every probe step of a phase whose needs are met; true once all of them have finished. */
export function pumpProbes(f: Flow, steps: readonly ProbeStep[], round: number): boolean {
  const instances = (id: string) =>
    Object.values(f.s.steps).filter((r) => r.stepId === id && r.round === round);
  const finished = (id: string) => {
    const got = instances(id);
    return got.length > 0 && got.every(complete);
  };
  // Verify steps are shared between repairs; a need outside this phase is not waited for.
  const inPhase = new Set(steps.map((s) => s.id));
  // A step skipped by its condition finishes at once and may release others in the same pass,
  // so keep going until a pass starts nothing new.
  for (let progressed = true; progressed; ) {
    progressed = false;
    for (const step of steps) {
      if (instances(step.id).length > 0) continue;
      if (!step.needs.filter((n) => inPhase.has(n)).every(finished)) continue;
      instantiate(f, step, round);
      progressed = true;
    }
  }
  return steps.every((s) => finished(s.id));
}

/** `{fact.name}` in a runbook's text becomes the value found on the target; unknown names stay. */
export function fillFacts(text: string, facts: RunState['facts']): string {
  return text.replace(/\{([a-zA-Z0-9_.@-]+)\}/g, (whole, name: string) => {
    const v = facts[name];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : whole;
  });
}

function requestApproval(f: Flow, gateId: string, repair: RepairStep) {
  if (repair.targetKinds && !repair.targetKinds.includes(f.s.target.kind)) {
    finish(
      f,
      'escalated',
      `The repair "${repair.title}" does not apply to ${f.s.target.kind} targets; nothing was run.`,
    );
    return;
  }
  const actions = repair.actions(contextFor(f.s));
  if (actions === null || actions.length === 0) {
    finish(
      f,
      'escalated',
      `The repair "${repair.title}" could not be prepared from what was found (a value it needs is missing, or unsafe to act on).`,
    );
    return;
  }
  const visit = f.s.visits[gateId] ?? 1;
  const approval: ApprovalRun = {
    id: `${f.s.runId}-${gateId}-${visit}`,
    gateId,
    repairId: repair.id,
    title: repair.title,
    status: 'pending',
    requestedAt: f.at,
    expiresAt: f.at + f.s.approvalTtlMs,
    risk: repair.risk,
    actions,
    commands: actions.map((a) => renderAction(a, f.s.target)),
    verify: repair.verify.map((v) => stepOf(f.rb, v)?.title ?? v),
    ...(repair.undo ? { undo: fillFacts(repair.undo, f.s.facts) } : {}),
    ...(f.s.cause ? { cause: f.s.cause } : {}),
    ...alsoFound(f),
    ...(blindSpots(f.s).length > 0 ? { unread: blindSpots(f.s) } : {}),
  };
  f.s.approvals[approval.id] = approval;
  f.s.phase = { kind: 'approval', approvalId: approval.id };
  setStatus(f, 'awaiting-approval');
  note(f, 'approval-requested', `Approval requested for "${repair.title}" (risk ${repair.risk})`, {
    step: gateId,
  });
  f.out.push({ type: 'request-approval', runId: f.s.runId, approval });
  f.out.push({ type: 'schedule-expiry', runId: f.s.runId, approvalId: approval.id, at: approval.expiresAt });
}

function alsoFound(f: Flow): { alsoFound?: string[] } {
  const others = (f.s.causesFound ?? []).filter((c) => c !== f.s.cause);
  return others.length > 0 ? { alsoFound: others } : {};
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

export function isTerminal(s: RunState) {
  return TERMINAL.has(s.status);
}
