import type { Action, ActionRunner, ExecResult } from '../runbooks/index.js';
import { succeeded } from '../runbooks/index.js';

// How the workers (and the in-process driver) run a step's actions through the ActionRunner port.

/** A result for an action that never reached the target; the reason is on record, never a secret. */
export const notRunResult = (error: string): ExecResult => ({
  exitCode: null,
  stdout: '',
  stderr: '',
  durationMs: 0,
  timedOut: false,
  unreachable: false,
  truncated: false,
  error,
});

/**
 * Runs actions in order. A repair (`mutating`) stops at its first failed action, so nothing runs
 * on top of a half-done change; the engine reads from the results how far it got, and an executor
 * that throws mid-repair propagates, for the caller to report the repair as interrupted. A
 * read-only probe whose executor throws (a host key that does not match, a transport that cannot
 * do the action) yields a result saying so: the run moves on, and the check counts as unread.
 */
export async function runActions(
  runner: ActionRunner,
  actions: readonly Action[],
  timeoutMs: number,
  mutating: boolean,
): Promise<ExecResult[]> {
  const results: ExecResult[] = [];
  for (const action of actions) {
    let r: ExecResult;
    try {
      r = await runner.run(action, mutating ? { timeoutMs, exact: true } : { timeoutMs });
    } catch (e) {
      if (mutating) throw e;
      r = notRunResult(`not run: ${e instanceof Error ? e.message : String(e)}`);
    }
    results.push(r);
    if (mutating && !succeeded(r)) break;
  }
  return results;
}
