import type { Ignored, Transition } from './commands.js';
import { type OpeningAlert, onAlert, openingAlert } from './engine-alert.js';
import type { Flow } from './engine-flow.js';
import { contextFor, finish, issue, note, stepOf } from './engine-flow.js';
import { pump } from './engine-pump.js';
import {
  expire,
  onCancel,
  onDecision,
  onRepairInterrupted,
  onRepairNotRun,
  onRepairResult,
} from './engine-repair.js';
import { RunbookBotError } from './errors.js';
import type { Analysis, DiagnoseStep, Runbook } from './model.js';
import type { ExecResult, Redactor } from './result.js';
import { keptOutput, redactResult } from './result.js';
import { isTerminal } from './run-queries.js';
import type { AlertRun, EngineEvent, RunState, StepRun } from './state.js';
import { STATE_SCHEMA_VERSION } from './state.js';
import type { TargetView } from './target.js';

export interface StartInput {
  runId: string;
  target: TargetView;
  startedBy: string;
  approvalTtlMs: number;
  /** Distinct approvers a high-risk repair needs (1–5); absent: one. */
  highRiskApprovals?: number;
  /** Runbooks that already ran on this fault (a handover chain), oldest first. */
  handedOverFrom?: string[];
  /** The alert that opens this run, when an alert does (its startedBy is then `alertmanager:<name>`). */
  alert?: OpeningAlert;
  /** A handover's: the alerts of the incident it continues (the one that opened it included). */
  inheritedAlerts?: Readonly<Record<string, AlertRun>>;
}

export type RunbookLookup = (id: string) => Runbook | undefined;

const keep: Redactor = (t) => t;

const copyAlerts = (a: Readonly<Record<string, AlertRun>> = {}) =>
  Object.fromEntries(Object.entries(a).map(([fp, run]) => [fp, { ...run }]));

export function start(rb: Runbook, input: StartInput, at: number, redact: Redactor = keep): Transition {
  const n = input.highRiskApprovals;
  // A count outside 1–5 would be stored and then refused when the state is read back: refuse it now.
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 5))
    throw new RunbookBotError('CONFIG_INVALID', `highRiskApprovals must be 1 to 5, not ${n}`);
  const alert = input.alert ? openingAlert(input.alert) : undefined;
  const s: RunState = {
    schema: STATE_SCHEMA_VERSION,
    runId: input.runId,
    runbookId: rb.id,
    target: input.target,
    startedBy: input.startedBy,
    startedAt: at,
    updatedAt: at,
    approvalTtlMs: input.approvalTtlMs,
    ...(n === undefined ? {} : { highRiskApprovals: n }),
    ...(input.handedOverFrom?.length ? { handedOverFrom: input.handedOverFrom } : {}),
    status: 'diagnosing',
    phase: { kind: 'diagnosis' },
    steps: {},
    facts: {},
    approvals: {},
    visits: {},
    ...(alert || input.inheritedAlerts
      ? { alerts: { ...copyAlerts(input.inheritedAlerts), ...alert?.alerts } }
      : {}),
    timeline: [
      ...(alert?.timeline ?? []),
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
  // Analyzers read the output as the target printed it; what is stored is redacted, and shortened.
  run.results = [keptOutput(redactResult(result, f.redact))];
  // The evidence names the command as it really ran.
  if (result.via !== undefined) run.commands = [f.redact(result.via)];
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
    // Read after the fix, these replace what the diagnosis saw: a follow-up acts only on what is still so.
    else if (check.facts && !check.pending) Object.assign(f.s.facts, check.facts);
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

const whyNoAnswer = (r: ExecResult) =>
  r.unreachable
    ? `the target could not be reached (${r.error ?? 'no connection'})`
    : r.timedOut
      ? `no answer within ${Math.round(r.durationMs / 1000)} s`
      : (r.error ?? 'no result');

function dispatch(f: Flow, e: EngineEvent): Ignored | undefined {
  // Recorded whatever the run's state: an ended incident's report still says the alert resolved.
  if (e.type === 'alert') return onAlert(f, e);
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
