import type { Action } from '../runbooks/action.js';
import type { ExecResult } from '../runbooks/result.js';

export interface RunOptions {
  /** Hard deadline for the action; on expiry the result says timedOut and the remote work is killed. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Runs one action on one target. Returns a result for anything the target does (non-zero exit,
 * timeout, unreachable); throws RunbookBotError only for our own bugs or misconfiguration.
 */
export interface Executor {
  run(action: Action, opts: RunOptions): Promise<ExecResult>;
  close(): Promise<void>;
}
