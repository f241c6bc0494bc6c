import type { Action } from './action.js';
import { contextFor } from './engine-flow.js';
import type { Runbook } from './model.js';
import type { ExecResult } from './result.js';
import type { RunState } from './state.js';

/** Three values, like every conclusion: still there, gone, or could not be checked. */
export type PreconditionVerdict = 'present' | 'fixed-meanwhile' | 'could-not-check';

export interface PreconditionProbe {
  /** Null when the probe cannot be built: `holds` then says it could not check. */
  action: Action | null;
  /** Whether the fault the repair was approved for is still there. */
  holds(result: ExecResult): { verdict: PreconditionVerdict; statement: string };
}

/**
 * The read-only probe a worker runs just before a repair: the repair's precondition step, built
 * from the facts as they are now. Null when the repair declares none.
 */
export function preconditionProbe(
  rb: Runbook,
  state: RunState,
  repairStepId: string,
): PreconditionProbe | null {
  const repair = rb.steps.find((s) => s.id === repairStepId);
  if (repair?.kind !== 'repair' || !repair.precondition) return null;
  const { step: probeId, findings: wanted } = repair.precondition;
  const probe = rb.steps.find((s) => s.id === probeId);
  if (probe?.kind !== 'diagnose') return null;
  const ctx = contextFor(state);
  const action = probe.action(ctx);
  // Declared but not buildable from what is known: the fault cannot be checked, so nothing runs.
  if (!action)
    return {
      action: null,
      holds: () => ({
        verdict: 'could-not-check',
        statement: `could not check that the fault is still there (${probe.title} could not be built from what was found)`,
      }),
    };
  return {
    action,
    holds: (result) => {
      const found = probe.analyze(result, ctx).findings;
      const still = found.filter((x) => wanted.includes(x.code));
      if (still.length > 0)
        return { verdict: 'present', statement: still.map((x) => x.statement).join('; ') };
      const blind = found.filter((x) => x.severity === 'unknown');
      if (blind.length > 0)
        return {
          verdict: 'could-not-check',
          statement: `could not check that the fault is still there (${probe.title}: ${blind.map((x) => x.statement).join('; ')})`,
        };
      return {
        verdict: 'fixed-meanwhile',
        statement: `the fault is no longer there, fixed meanwhile (${probe.title}: ${found.map((x) => x.statement).join('; ') || 'nothing found'})`,
      };
    },
  };
}
