import { type Action, renderAction } from './action.js';
import type { EngineCommand } from './commands.js';
import { type ConditionScope, evaluate } from './condition.js';
import type { ProbeStep, RepairStep, Runbook, Step, StepContext } from './model.js';
import {
  blindSpots,
  currentDiagnosis,
  diagnoseSteps,
  diagnosisFindings,
  itemsOf,
  NO_CLIENTS,
  NO_HEALTH_CHECKS,
  NO_QUEUES,
  verifiedRepairs,
} from './run-queries.js';
import type { ApprovalRun, RunState, RunStatus, StepRun } from './state.js';

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
  repaired: verifiedRepairs(f.s).length > 0,
});

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
  const items = itemsOf(step, f.s.target);
  const none = { 'health-client': NO_HEALTH_CHECKS, queue: NO_QUEUES, client: NO_CLIENTS } as const;
  if (items.length === 0) skip(undefined, none[step.forEach ?? 'client']);
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

/**
 * The undo with the names the repair acts on: `<redis container>` and `<network>` are known once the
 * actions are built, so the card shows the command to type, one per network connected.
 */
export function undoText(undo: string, actions: readonly Action[], target: RunState['target']): string {
  let out = undo;
  if (target.redis.container) out = out.split('<redis container>').join(target.redis.container);
  const nets = actions.flatMap((a) => (a.kind === 'network-connect' ? [a.network] : []));
  if (out.includes('<network>') && nets.length > 0)
    out = nets.map((n) => out.split('<network>').join(n)).join('; ');
  return out;
}

export function requestApproval(f: Flow, gateId: string, repair: RepairStep) {
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
  // Fixed per request from the count the run started with, so the card and the engine agree on it.
  const needed = repair.risk === 'high' ? (f.s.highRiskApprovals ?? 1) : 1;
  const approval: ApprovalRun = {
    id: `${f.s.runId}-${gateId}-${visit}`,
    gateId,
    repairId: repair.id,
    title: repair.title,
    status: 'pending',
    requestedAt: f.at,
    expiresAt: f.at + f.s.approvalTtlMs,
    risk: repair.risk,
    ...(needed > 1 ? { needed } : {}),
    actions,
    commands: actions.map((a) => renderAction(a, f.s.target)),
    verify: repair.verify.map((v) => stepOf(f.rb, v)?.title ?? v),
    ...(repair.undo ? { undo: undoText(fillFacts(repair.undo, f.s.facts), actions, f.s.target) } : {}),
    ...(f.s.cause ? { cause: f.s.cause } : {}),
    ...alsoFound(f),
    ...(blindSpots(f.s).length > 0 ? { unread: blindSpots(f.s) } : {}),
  };
  f.s.approvals[approval.id] = approval;
  f.s.phase = { kind: 'approval', approvalId: approval.id };
  setStatus(f, 'awaiting-approval');
  const many = needed > 1 ? `, ${needed} approvers needed` : '';
  note(f, 'approval-requested', `Approval requested for "${repair.title}" (risk ${repair.risk}${many})`, {
    step: gateId,
  });
  f.out.push({ type: 'request-approval', runId: f.s.runId, approval });
  f.out.push({ type: 'schedule-expiry', runId: f.s.runId, approvalId: approval.id, at: approval.expiresAt });
}

function alsoFound(f: Flow): { alsoFound?: string[] } {
  const others = (f.s.causesFound ?? []).filter((c) => c !== f.s.cause);
  return others.length > 0 ? { alsoFound: others } : {};
}
