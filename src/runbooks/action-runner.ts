import type { Action } from './action.js';
import type { ExecResult } from './result.js';

export interface RunOptions {
  /** Hard deadline for the action; on expiry the result says timedOut and the remote work is killed. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Run exactly the command `renderAction` shows (a repair, whose card promised it): no shortcut. */
  exact?: boolean;
}

/**
 * The one port for running an action on a target, filled by the executors. Returns a result for
 * anything the target does (non-zero exit, timeout, unreachable); throws only for our own bugs or
 * misconfiguration.
 */
export interface ActionRunner {
  run(action: Action, opts: RunOptions): Promise<ExecResult>;
}
