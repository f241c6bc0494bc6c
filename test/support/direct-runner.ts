import { runActions } from '../../src/incidents/run-actions.js';
import type {
  ActionRunner,
  ApprovalRun,
  EngineCommand,
  EngineEvent,
  ExecResult,
  ExecuteCommand,
  Runbook,
  RunState,
  StartInput,
  Transition,
} from '../../src/runbooks/index.js';
import { advance, type Redactor, redactResult, start } from '../../src/runbooks/index.js';

export interface DirectRunOptions {
  runner: ActionRunner;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Asked for each approval; undefined leaves the run waiting and returns. */
  decide?: (approval: ApprovalRun) => { decision: 'approve' | 'reject'; by: string } | undefined;
  /** Removes secret values from what the engine stores (and from what `observe` sees). */
  redact?: Redactor;
  /** Sees every command and every step result, e.g. to record a rehearsal. */
  observe?: (e: { command: EngineCommand } | { stepKey: string; results: ExecResult[] }) => void;
}

const execute = (cmd: ExecuteCommand, runner: ActionRunner) =>
  runActions(runner, cmd.actions, cmd.timeoutMs, cmd.kind === 'repair');

/**
 * Drives one run in-process, without the queue: every execute command of a batch runs at once, and
 * results are fed back one by one, with real executors. Used by the lab tests and the recorders.
 */
export async function continueRun(
  first: Transition,
  runbook: Runbook,
  o: DirectRunOptions,
): Promise<RunState> {
  let state = first.state;
  let pending: EngineCommand[] = [...first.commands];
  const apply = (event: EngineEvent) => {
    const t = advance(state, event, o.now(), (id) => (id === runbook.id ? runbook : undefined), o.redact);
    state = t.state;
    pending.push(...t.commands);
  };
  while (pending.length > 0) {
    const batch = pending;
    pending = [];
    for (const command of batch) o.observe?.({ command });
    const runs = batch.filter((c): c is ExecuteCommand => c.type === 'execute');
    const outcomes = await Promise.all(
      runs.map(async (cmd) => {
        if (cmd.delayMs) await o.sleep(cmd.delayMs);
        return { cmd, results: await execute(cmd, o.runner) };
      }),
    );
    for (const { cmd, results } of outcomes) {
      const shown = o.redact ? results.map((r) => redactResult(r, o.redact as Redactor)) : results;
      o.observe?.({ stepKey: cmd.stepKey, results: shown });
      apply({ type: 'step-result', stepKey: cmd.stepKey, attempt: cmd.attempt, results });
    }
    for (const c of batch) {
      if (c.type !== 'request-approval') continue;
      const d = o.decide?.(c.approval);
      if (d) apply({ type: 'approval-decision', approvalId: c.approval.id, ...d });
    }
  }
  return state;
}

export function runDirect(runbook: Runbook, input: StartInput, o: DirectRunOptions): Promise<RunState> {
  return continueRun(start(runbook, input, o.now(), o.redact), runbook, o);
}
