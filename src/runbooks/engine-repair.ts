import type { Ignored } from './commands.js';
import type { Flow } from './engine-flow.js';
import { finish, issue, note, setStatus, stepKey, stepOf } from './engine-flow.js';
import { pump } from './engine-pump.js';
import { goTo } from './engine-route.js';
import { RunbookBotError } from './errors.js';
import type { RepairStep } from './model.js';
import { redactResult, succeeded } from './result.js';
import { approvalsNeeded, isTerminal } from './run-queries.js';
import type { ApprovalRun, EngineEvent, StepRun } from './state.js';

// What happens around a repair: the decision on its approval, its result, its interruption, a cancel.

export function onRepairResult(f: Flow, run: StepRun, results: StepRun['results']): undefined {
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

export function onRepairNotRun(
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
export function onRepairInterrupted(f: Flow, run: StepRun, raw: string): undefined {
  const reason = f.redact(raw);
  run.status = 'interrupted';
  run.interruptedBecause = reason;
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

export function expire(f: Flow, a: ApprovalRun) {
  a.status = 'expired';
  note(f, 'approval-expired', `Approval for "${a.title}" expired unanswered`, { step: a.gateId });
  const gate = stepOf(f.rb, a.gateId);
  if (gate?.kind !== 'approval') throw new RunbookBotError('STATE_INVALID', `no approval step ${a.gateId}`);
  goTo(f, gate.onExpire);
}

/** The only place a repair is issued: from an approval that is approved, for its own repair. */
export function issueRepair(f: Flow, a: ApprovalRun) {
  const repair = stepOf(f.rb, a.repairId);
  if (
    a.status !== 'approved' ||
    (a.approvedBy?.length ?? 0) < approvalsNeeded(a) ||
    repair?.kind !== 'repair' ||
    repair.approval !== a.gateId
  )
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

export function onDecision(
  f: Flow,
  e: Extract<EngineEvent, { type: 'approval-decision' }>,
  a: ApprovalRun,
): Ignored | undefined {
  if (f.at > a.expiresAt) {
    expire(f, a);
    return 'approval-expired';
  }
  const needed = approvalsNeeded(a);
  if (e.decision === 'approve') {
    const given = a.approvedBy ?? [];
    // The same person twice is still one approver; saying so lets the edge tell them.
    if (given.some((g) => g.by === e.by)) return 'already-approved';
    a.approvedBy = [...given, { by: e.by, at: f.at }];
    if (a.approvedBy.length < needed) {
      const text = `"${a.title}" approved by ${e.by} (${a.approvedBy.length} of ${needed})`;
      note(f, 'approval-recorded', text, { step: a.gateId, by: e.by });
      return undefined;
    }
  }
  a.status = e.decision === 'approve' ? 'approved' : 'rejected';
  a.decidedBy = e.by;
  a.decidedAt = f.at;
  const count = needed > 1 && a.status === 'approved' ? ` (${needed} of ${needed})` : '';
  note(f, 'approval-decided', `"${a.title}" ${a.status} by ${e.by}${count}`, { step: a.gateId, by: e.by });
  if (a.status === 'approved') {
    issueRepair(f, a);
    return undefined;
  }
  const gate = stepOf(f.rb, a.gateId);
  if (gate?.kind !== 'approval') throw new RunbookBotError('STATE_INVALID', `no approval step ${a.gateId}`);
  goTo(f, gate.onReject);
  return undefined;
}

export function onCancel(f: Flow, e: Extract<EngineEvent, { type: 'cancel' }>) {
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
