import type { ActionRunner } from '../runbooks/action-runner.js';

export type { RunOptions } from '../runbooks/action-runner.js';

/** An ActionRunner bound to one target's transport, holding connections until closed. */
export interface Executor extends ActionRunner {
  close(): Promise<void>;
}
