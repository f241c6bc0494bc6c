import { expect } from 'vitest';
import type {
  EngineCommand,
  EngineEvent,
  ExecResult,
  ExecuteCommand,
  Redactor,
  Runbook,
  RunState,
  TargetView,
  Transition,
} from '../../src/runbooks/index.js';
import { advance, runStateSchema, start } from '../../src/runbooks/index.js';

/** The output a probe step gets: by step id, diagnosis round and step key (without the round). */
export type Answer = (stepId: string, round: number, key: string) => ExecResult | undefined;

export interface DriverOptions {
  target: TargetView;
  answer: Answer;
  /** What a repair reports; undefined leaves it running. Default: every action succeeded. */
  repair?: (c: ExecuteCommand) => EngineEvent | undefined;
  /** Approve each approval as it is requested. */
  autoApprove?: boolean;
  redactor?: Redactor;
  handedOverFrom?: string[];
  at?: number;
  runId?: string;
  startedBy?: string;
  approvalTtlMs?: number;
  highRiskApprovals?: number;
}

const ok = (): ExecResult => ({
  exitCode: 0,
  stdout: '',
  stderr: '',
  durationMs: 1,
  timedOut: false,
  unreachable: false,
  truncated: false,
});

/**
 * Drives one run of a runbook through the pure engine: answers every command it issues, as the
 * queue and the workers would, and checks that every state survives JSON exactly.
 */
export function engineDriver(rb: Runbook, o: DriverOptions) {
  const lookup = (id: string) => (id === rb.id ? rb : undefined);
  let at = o.at ?? Date.UTC(2026, 11, 1, 3, 0, 0);
  let t: Transition = start(
    rb,
    {
      runId: o.runId ?? 'INC-DRIVE',
      target: o.target,
      startedBy: o.startedBy ?? 'U_STARTER',
      approvalTtlMs: o.approvalTtlMs ?? 15 * 60_000,
      ...(o.highRiskApprovals ? { highRiskApprovals: o.highRiskApprovals } : {}),
      ...(o.handedOverFrom ? { handedOverFrom: o.handedOverFrom } : {}),
    },
    at,
    o.redactor,
  );
  const queue: EngineCommand[] = [...t.commands];
  const issued: EngineCommand[] = [...t.commands];
  const repair =
    o.repair ??
    ((c: ExecuteCommand): EngineEvent => ({
      type: 'step-result',
      stepKey: c.stepKey,
      attempt: c.attempt,
      results: c.actions.map(ok),
    }));
  const feed = (e: EngineEvent) => {
    at += 1000;
    t = advance(t.state, e, at, lookup, o.redactor);
    expect(runStateSchema.parse(JSON.parse(JSON.stringify(t.state)))).toEqual(t.state);
    queue.push(...t.commands);
    issued.push(...t.commands);
  };
  const d = {
    get state(): RunState {
      return t.state;
    },
    /** Every command the engine issued so far, in order. */
    issued,
    feed,
    /** Answers everything queued, and what that brings, until the run waits or ends. */
    run() {
      for (let guard = 0; guard < 1000 && queue.length > 0; guard++) {
        const c = queue.shift() as EngineCommand;
        if (c.type === 'request-approval' && o.autoApprove)
          feed({
            type: 'approval-decision',
            approvalId: c.approval.id,
            decision: 'approve',
            by: 'U_APPROVER',
          });
        if (c.type !== 'execute') continue;
        if (c.kind === 'repair') {
          const e = repair(c);
          if (e) feed(e);
          continue;
        }
        const key = c.stepKey.replace(/~\d+$/, '');
        const r = o.answer(c.stepId, t.state.diagnosisRound ?? 1, key);
        if (!r) throw new Error(`no output for ${c.stepKey}`);
        feed({ type: 'step-result', stepKey: c.stepKey, attempt: c.attempt, results: [r] });
      }
      return d;
    },
    /** Approves the pending approval, then runs on. */
    approve() {
      const a = Object.values(t.state.approvals).find((x) => x.status === 'pending');
      if (!a) throw new Error('no pending approval');
      feed({ type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U_APPROVER' });
      return d.run();
    },
  };
  return d;
}
