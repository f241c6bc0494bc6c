import { renderAction } from './action.js';
import { holds } from './condition.js';
import { RunbookBotError } from './errors.js';
import type { Finding, ProbeStep, RepairStep, Runbook, Step, StepContext } from './model.js';
import type { ApprovalRun, EngineCommand, RunState, RunStatus, StepRun } from './state.js';
import { TERMINAL } from './state.js';

/** One advance in progress: a private copy of the state and the commands it produces. */
export interface Flow {
  rb: Runbook;
  s: RunState;
  at: number;
  out: EngineCommand[];
}

export function stepOf(rb: Runbook, id: string): Step | undefined {
  return rb.steps.find((x) => x.id === id);
}

export function contextFor(s: RunState, item?: string): StepContext {
  return item === undefined
    ? { target: s.target, facts: s.facts }
    : { target: s.target, facts: s.facts, item };
}

export function diagnosisFindings(s: RunState): Finding[] {
  return Object.values(s.steps)
    .filter((r) => r.kind === 'diagnose')
    .flatMap((r) => r.findings);
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
  const skip = (item: string | undefined, why: string) => {
    const key = stepKey(step.id, item, round);
    f.s.steps[key] = {
      ...base,
      key,
      status: 'skipped',
      commands: [],
      actions: [],
      skippedBecause: why,
      finishedAt: f.at,
    };
    note(f, 'step-skipped', `${step.title}${item ? ` (${item})` : ''}: skipped, ${why}`, { step: key });
  };
  if (
    step.when &&
    !holds(step.when, { findings: diagnosisFindings(f.s), facts: f.s.facts, target: f.s.target })
  ) {
    skip(undefined, 'not applicable to what was found');
    return;
  }
  const items = step.forEach === 'client' ? f.s.target.clients.map((c) => c.name) : [undefined];
  if (items.length === 0) skip(undefined, 'the target has no clients');
  for (const item of items) {
    const action = step.action(contextFor(f.s, item));
    if (action === null) {
      skip(item, 'a fact it needs was not found');
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
        const scope = { findings: diagnosisFindings(f.s), facts: f.s.facts, target: f.s.target };
        const branch = step.branches.find((b) => holds(b.when, scope));
        const to = branch?.to ?? step.default;
        if (to === undefined) {
          finish(
            f,
            'escalated',
            `No branch of "${step.title}" matched what was found, and it has no default.`,
          );
          return;
        }
        if (branch?.cause) f.s.cause = branch.cause;
        note(
          f,
          'decision',
          `${step.title}: ${branch?.cause ? f.rb.causes[branch.cause]?.title : `→ ${to}`}`,
          {
            step: id,
          },
        );
        id = to;
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
        finish(f, step.outcome, step.summary, step.handover);
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
