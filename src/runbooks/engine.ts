import type { Flow } from './engine-flow.js';
import {
  contextFor,
  finish,
  issue,
  isTerminal,
  note,
  pumpProbes,
  setStatus,
  stepKey,
  stepOf,
} from './engine-flow.js';
import { goTo } from './engine-route.js';
import { RunbookBotError } from './errors.js';
import type { Analysis, DiagnoseStep, ProbeStep, RepairStep, Runbook } from './model.js';
import type { ExecResult } from './result.js';
import { succeeded } from './result.js';
import { diagnosisRound } from './run-queries.js';
import type { ApprovalRun, EngineEvent, Ignored, RunState, StepRun, Transition } from './state.js';
import { STATE_SCHEMA_VERSION } from './state.js';
import type { TargetView } from './target.js';

export interface StartInput {
  runId: string;
  target: TargetView;
  startedBy: string;
  approvalTtlMs: number;
  /** Runbooks that already ran on this fault (a handover chain), oldest first. */
  handedOverFrom?: string[];
}

export type RunbookLookup = (id: string) => Runbook | undefined;

const probesOf = (rb: Runbook, kind: 'diagnose') => rb.steps.filter((s): s is ProbeStep => s.kind === kind);

/** Moves the run forward as far as it can go without waiting for an outside event. */
function pump(f: Flow) {
  const { phase } = f.s;
  if (phase.kind === 'diagnosis') {
    if (pumpProbes(f, probesOf(f.rb, 'diagnose'), diagnosisRound(f.s))) goTo(f, f.rb.afterDiagnosis);
    return;
  }
  if (phase.kind !== 'verify') return;
  const repairRun = f.s.steps[phase.repairKey];
  const repair = repairRun && stepOf(f.rb, repairRun.stepId);
  if (!repairRun || repair?.kind !== 'repair')
    throw new RunbookBotError('STATE_INVALID', `no repair for ${phase.repairKey}`);
  const verifySteps = repair.verify
    .map((id) => stepOf(f.rb, id))
    .filter((s): s is ProbeStep => s?.kind === 'verify');
  const round = repairRun.verifyRound ?? repairRun.round;
  if (!pumpProbes(f, verifySteps, round)) return;
  const runs = Object.values(f.s.steps).filter(
    (r) => r.kind === 'verify' && r.round === round && repair.verify.includes(r.stepId),
  );
  // A check that could not be read proves nothing either way: the repair ran, and whether it worked
  // is for a person to see, so no further repair is offered on it.
  const blind = runs.filter((r) => r.unread !== undefined);
  const ran = runs.filter((r) => r.status === 'done');
  if (blind.length > 0 || ran.length === 0) {
    repairRun.verified = false;
    const why =
      blind.length > 0
        ? blind.map((r) => `${r.title}${r.item ? ` (${r.item})` : ''}: ${r.unread}`).join('; ')
        : 'none of its checks applied';
    note(f, 'verified', `Could not verify: ${why}`, { step: repairRun.key });
    finish(
      f,
      'escalated',
      `The repair "${repairRun.title}" ran, but it could not be verified (${why}). Check ${f.s.target.name} by hand; nothing further was run.`,
    );
    return;
  }
  // One that failed only because of another fault verifies this repair; the recheck finds that fault.
  const failed = runs.filter((r) => !r.check?.passed && !r.check?.otherFault);
  const other = runs.filter((r) => !r.check?.passed && r.check?.otherFault);
  const passed = failed.length === 0;
  repairRun.verified = passed;
  const aside =
    other.length > 0 ? `; failing for another fault: ${other.map((r) => r.check?.statement).join(', ')}` : '';
  note(
    f,
    'verified',
    passed
      ? `Verification passed (${runs.length - other.length} of ${runs.length} checks${aside})`
      : `Verification failed: ${failed.map((r) => r.title).join(', ')}`,
    { step: repairRun.key },
  );
  goTo(f, passed ? repair.onSuccess : repair.onFailure);
}

/** Removes the targets' secrets from what is stored and shown; analyzers still read raw output. */
export type Redactor = (text: string, opts?: { cut?: boolean }) => string;
const keep: Redactor = (t) => t;

export function start(rb: Runbook, input: StartInput, at: number, redact: Redactor = keep): Transition {
  const s: RunState = {
    schema: STATE_SCHEMA_VERSION,
    runId: input.runId,
    runbookId: rb.id,
    target: input.target,
    startedBy: input.startedBy,
    startedAt: at,
    updatedAt: at,
    approvalTtlMs: input.approvalTtlMs,
    ...(input.handedOverFrom?.length ? { handedOverFrom: input.handedOverFrom } : {}),
    status: 'diagnosing',
    phase: { kind: 'diagnosis' },
    steps: {},
    facts: {},
    approvals: {},
    visits: {},
    timeline: [
      { at, kind: 'started', text: `${rb.title} started on ${input.target.name}`, by: input.startedBy },
    ],
  };
  const f: Flow = { rb, s, at, out: [{ type: 'status', runId: s.runId, status: 'diagnosing' }], redact };
  if (!rb.targetKinds.includes(input.target.kind)) {
    finish(f, 'escalated', `${rb.id} does not apply to ${input.target.kind} targets.`);
  } else {
    pump(f);
  }
  return { state: s, commands: f.out };
}

function onStepResult(
  f: Flow,
  e: Extract<EngineEvent, { type: 'step-result' }>,
  run: StepRun,
): Ignored | undefined {
  if (run.kind === 'repair')
    return e.notRun === undefined
      ? onRepairResult(f, run, e.results)
      : onRepairNotRun(f, run, e.notRun, e.notRunKind);
  const step = stepOf(f.rb, run.stepId);
  if (step?.kind !== 'diagnose' && step?.kind !== 'verify') return 'unknown-step';
  const [result] = e.results;
  if (!result) return 'unknown-step';
  const ctx = contextFor(f.s, run.item);
  // Analyzers read the output as the target printed it; what is stored and shown is redacted.
  run.results = [redactResult(result, f.redact)];
  if (step.kind === 'diagnose') {
    const analysis = declared(step, step.analyze(result, ctx));
    // A secret cut short by the output cap may end any line taken from that output.
    const cut = { cut: result.truncated };
    run.findings = analysis.findings.map((x) => ({
      ...x,
      statement: f.redact(x.statement, cut),
      evidence: x.evidence.map((e) => f.redact(e, cut)),
    }));
    const unread = analysis.unread ?? unknownStatements(analysis);
    if (unread !== undefined) run.unread = f.redact(unread, cut);
    Object.assign(f.s.facts, analysis.facts ?? {});
    for (const x of run.findings) note(f, 'finding', `[${x.severity}] ${x.statement}`, { step: run.key });
    f.out.push({ type: 'post-findings', runId: f.s.runId, stepKey: run.key });
  } else {
    const check = step.check(result, ctx);
    // No answer at all (unreachable, no reply in time) is not a failed check: it is an unread one.
    const noAnswer =
      !check.passed && !check.unread && (result.unreachable || result.timedOut || result.exitCode === null);
    if ((check.pending || noAnswer) && step.retry && run.attempt < step.retry.attempts) {
      run.attempt += 1;
      issue(f, run, step.timeoutMs, step.retry.delayMs);
      return undefined;
    }
    run.check = {
      passed: check.passed && !check.pending,
      statement: f.redact(check.statement, { cut: result.truncated }),
      evidence: check.evidence.map((e) => f.redact(e, { cut: result.truncated })),
      ...(check.otherFault && !check.passed ? { otherFault: check.otherFault } : {}),
    };
    if (noAnswer) run.unread = f.redact(whyNoAnswer(result));
    else if (check.unread && !check.passed) run.unread = f.redact(check.unread);
  }
  run.status = 'done';
  run.finishedAt = f.at;
  note(f, 'step-finished', `${run.title}${run.item ? ` (${run.item})` : ''}: done`, { step: run.key });
  pump(f);
  return undefined;
}

/** An analyzer that emits a code its step does not declare is a bug: conditions would not see it. */
function declared(step: DiagnoseStep, a: Analysis): Analysis {
  const stray = a.findings.filter((x) => !step.emits.includes(x.code)).map((x) => x.code);
  if (stray.length > 0)
    throw new RunbookBotError(
      'ENGINE_INVARIANT',
      `step ${step.id} emitted undeclared codes ${stray.join(', ')}`,
    );
  return a;
}

const unknownStatements = (a: Analysis) => {
  const blind = a.findings.filter((x) => x.severity === 'unknown');
  return blind.length > 0 ? blind.map((x) => x.statement).join('; ') : undefined;
};

export function redactResult(r: ExecResult, redact: Redactor): ExecResult {
  const cut = { cut: r.truncated };
  return {
    ...r,
    stdout: redact(r.stdout, cut),
    stderr: redact(r.stderr, cut),
    ...(r.error !== undefined ? { error: redact(r.error) } : {}),
  };
}

const whyNoAnswer = (r: ExecResult) =>
  r.unreachable
    ? `the target could not be reached (${r.error ?? 'no connection'})`
    : r.timedOut
      ? `no answer within ${Math.round(r.durationMs / 1000)} s`
      : (r.error ?? 'no result');

function onRepairResult(f: Flow, run: StepRun, results: StepRun['results']): undefined {
  run.results = results.map((r) => redactResult(r, f.redact));
  run.finishedAt = f.at;
  const ok = results.length === run.actions.length && results.every(succeeded);
  run.status = ok ? 'done' : 'failed';
  if (isTerminal(f.s)) {
    note(f, 'late-result', `${run.title} finished after the run ended: ${ok ? 'succeeded' : 'failed'}`, {
      step: run.key,
    });
    return undefined;
  }
  note(f, 'repair-finished', `${run.title}: ${ok ? 'succeeded' : 'failed'}`, { step: run.key });
  const repair = stepOf(f.rb, run.stepId) as RepairStep;
  if (!ok) {
    goTo(f, repair.onFailure);
    return undefined;
  }
  f.s.phase = { kind: 'verify', repairKey: run.key };
  setStatus(f, 'verifying');
  pump(f);
  return undefined;
}

function onRepairNotRun(
  f: Flow,
  run: StepRun,
  why: string,
  kind: Extract<EngineEvent, { type: 'step-result' }>['notRunKind'],
): undefined {
  run.status = 'skipped';
  run.skippedBecause = f.redact(why);
  run.finishedAt = f.at;
  const text = `${run.title}: not run, ${run.skippedBecause}`;
  if (isTerminal(f.s)) {
    note(f, 'late-result', text, { step: run.key });
    return undefined;
  }
  note(f, 'repair-finished', text, { step: run.key });
  const repair = stepOf(f.rb, run.stepId);
  // Fixed meanwhile: look again, so that "healthy" is read from the target, not assumed.
  if (
    kind === 'fixed-meanwhile' &&
    repair?.kind === 'repair' &&
    stepOf(f.rb, repair.onSuccess)?.kind === 'recheck'
  ) {
    goTo(f, repair.onSuccess);
    return undefined;
  }
  finish(f, 'escalated', `The repair "${run.title}" was not run: ${run.skippedBecause}.`);
  return undefined;
}

/** A repair whose worker died: it may have half-run, so it is handed to a person, never re-run. */
function onRepairInterrupted(f: Flow, run: StepRun, raw: string): undefined {
  const reason = f.redact(raw);
  run.status = 'interrupted';
  run.finishedAt = f.at;
  note(f, 'repair-interrupted', `${run.title}: interrupted (${reason})`, { step: run.key });
  if (!isTerminal(f.s))
    finish(
      f,
      'interrupted',
      `The repair "${run.title}" was interrupted (${reason}) and was not run again: a person must check ${f.s.target.name} before anything else is done.`,
    );
  return undefined;
}

function expire(f: Flow, a: ApprovalRun) {
  a.status = 'expired';
  note(f, 'approval-expired', `Approval for "${a.title}" expired unanswered`, { step: a.gateId });
  const gate = stepOf(f.rb, a.gateId);
  if (gate?.kind !== 'approval') throw new RunbookBotError('STATE_INVALID', `no approval step ${a.gateId}`);
  goTo(f, gate.onExpire);
}

/** The only place a repair is issued: from an approval that is approved, for its own repair. */
function issueRepair(f: Flow, a: ApprovalRun) {
  const repair = stepOf(f.rb, a.repairId);
  if (a.status !== 'approved' || repair?.kind !== 'repair' || repair.approval !== a.gateId)
    throw new RunbookBotError('ENGINE_INVARIANT', `refusing to issue ${a.repairId} without its approval`);
  const round = (f.s.visits[repair.id] ?? 0) + 1;
  f.s.visits[repair.id] = round;
  const key = stepKey(repair.id, undefined, round);
  // Verify steps are shared between repairs: each repair run gets its own round of them.
  const verifyRound = Object.values(f.s.steps).filter((r) => r.kind === 'repair').length + 1;
  const run: StepRun = {
    verifyRound,
    key,
    stepId: repair.id,
    kind: 'repair',
    round,
    title: repair.title,
    status: 'running',
    attempt: 1,
    commands: a.commands,
    actions: a.actions,
    issuedAt: f.at,
    results: [],
    findings: [],
    approvalId: a.id,
  };
  f.s.steps[key] = run;
  f.s.phase = { kind: 'repair', stepKey: key };
  setStatus(f, 'repairing');
  note(f, 'repair-issued', `${repair.title}: ${a.commands.join(' && ')}`, { step: key });
  issue(f, run, repair.timeoutMs);
}

function onDecision(
  f: Flow,
  e: Extract<EngineEvent, { type: 'approval-decision' }>,
  a: ApprovalRun,
): Ignored | undefined {
  if (f.at > a.expiresAt) {
    expire(f, a);
    return 'approval-expired';
  }
  a.status = e.decision === 'approve' ? 'approved' : 'rejected';
  a.decidedBy = e.by;
  a.decidedAt = f.at;
  note(f, 'approval-decided', `"${a.title}" ${a.status} by ${e.by}`, { step: a.gateId, by: e.by });
  if (a.status === 'approved') {
    issueRepair(f, a);
    return undefined;
  }
  const gate = stepOf(f.rb, a.gateId);
  if (gate?.kind !== 'approval') throw new RunbookBotError('STATE_INVALID', `no approval step ${a.gateId}`);
  goTo(f, gate.onReject);
  return undefined;
}

function onCancel(f: Flow, e: Extract<EngineEvent, { type: 'cancel' }>) {
  for (const a of Object.values(f.s.approvals)) {
    if (a.status !== 'pending') continue;
    a.status = 'withdrawn';
    f.out.push({ type: 'withdraw-approval', runId: f.s.runId, approvalId: a.id });
  }
  note(f, 'cancelled', `Cancelled by ${e.by}${e.reason ? `: ${e.reason}` : ''}`, { by: e.by });
  const repairing = f.s.phase.kind === 'repair';
  finish(
    f,
    'cancelled',
    repairing
      ? `Cancelled by ${e.by} while a repair was running; its result will be recorded, nothing further runs.`
      : `Cancelled by ${e.by}; nothing further runs.`,
  );
}

function dispatch(f: Flow, e: EngineEvent): Ignored | undefined {
  if (e.type === 'step-result' || e.type === 'repair-interrupted') {
    const run = f.s.steps[e.stepKey];
    if (!run) return 'unknown-step';
    if (run.status !== 'running') return 'duplicate-result';
    if (run.attempt !== e.attempt) return 'stale-attempt';
    // A repair that finished after a cancel still changed the target: that must be on record.
    if (isTerminal(f.s) && run.kind !== 'repair') return 'run-finished';
    if (e.type === 'repair-interrupted')
      return run.kind === 'repair' ? onRepairInterrupted(f, run, e.reason) : 'unknown-step';
    return onStepResult(f, e, run);
  }
  if (isTerminal(f.s)) return 'run-finished';
  if (e.type === 'cancel') {
    onCancel(f, e);
    return undefined;
  }
  const a = f.s.approvals[e.approvalId];
  if (!a) return 'unknown-approval';
  if (a.status !== 'pending') return 'approval-not-pending';
  if (e.type === 'approval-expired') {
    expire(f, a);
    return undefined;
  }
  return onDecision(f, e, a);
}

/**
 * Applies one event. Pure: the input state is never modified, and an event that changes nothing
 * (a duplicate, a late or stale one) returns that same state object with `ignored` saying why.
 */
export function advance(
  state: RunState,
  event: EngineEvent,
  at: number,
  lookup: RunbookLookup,
  redact: Redactor = keep,
): Transition {
  const rb = lookup(state.runbookId);
  if (!rb) throw new RunbookBotError('RUNBOOK_UNKNOWN', `no runbook ${state.runbookId}`);
  const f: Flow = { rb, s: structuredClone(state), at, out: [], redact };
  const ignored = dispatch(f, event);
  if (ignored !== undefined && f.out.length === 0 && f.s.timeline.length === state.timeline.length)
    return { state, commands: [], ignored };
  f.s.updatedAt = at;
  return ignored === undefined ? { state: f.s, commands: f.out } : { state: f.s, commands: f.out, ignored };
}
