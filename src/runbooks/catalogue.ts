import type { Runbook } from './model.js';

/**
 * The runbooks a deployment serves, handed down from the composition root: the core and the edges
 * know runbooks only through this, so which runbooks exist is decided in one place.
 */
export interface RunbookCatalogue {
  readonly runbooks: readonly Runbook[];
  readonly ids: readonly string[];
  get(id: string): Runbook | undefined;
}

export function catalogueOf(runbooks: readonly Runbook[]): RunbookCatalogue {
  const byId = new Map(runbooks.map((r) => [r.id, r]));
  return { runbooks, ids: runbooks.map((r) => r.id), get: (id) => byId.get(id) };
}
