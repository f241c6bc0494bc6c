import { codesOf, shapeOnly } from './condition.js';
import type { Condition, Runbook } from './model.js';

// The checks that keep a runbook's conclusions earned: every condition names a code some step
// emits, and a healthy ending rests on every check that could have said otherwise.

export type IssueCode =
  | 'schema'
  | 'duplicate-step'
  | 'dangling-edge'
  | 'wrong-edge-kind'
  | 'unknown-cause'
  | 'unreachable-step'
  | 'unbounded-cycle'
  | 'needs-cycle'
  | 'repair-without-approval'
  | 'decide-without-default'
  | 'unknown-finding'
  | 'healthy-past-unread'
  | 'unbuildable-step';

export interface ValidationIssue {
  code: IssueCode;
  step?: string;
  message: string;
}

/** A control-flow edge of the graph, as validate.ts builds them. */
export interface Edge {
  from: string;
  to: string;
  label: string;
}

export const ENTRY = '(start)';

export function reachable(edges: readonly Edge[], without?: string, from = ENTRY): Set<string> {
  const seen = new Set<string>([from]);
  const queue = [from];
  for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
    for (const e of edges) {
      if (e.from !== node || e.to === without || seen.has(e.to)) continue;
      seen.add(e.to);
      queue.push(e.to);
    }
  }
  return seen;
}

/** Every condition a runbook states about findings, with where it stands. */
function conditionsOf(rb: Runbook): { at: string; codes: string[] }[] {
  const out: { at: string; codes: string[] }[] = [];
  const add = (at: string, c: Condition | undefined) => c && out.push({ at, codes: codesOf(c) });
  for (const s of rb.steps) {
    if (s.kind === 'decide') for (const b of s.branches) add(`step ${s.id}, branch to ${b.to}`, b.when);
    if (s.kind === 'diagnose' || s.kind === 'verify') add(`step ${s.id}, when`, s.when);
    if (s.kind === 'repair' && s.precondition)
      out.push({ at: `repair ${s.id}, precondition`, codes: s.precondition.findings });
  }
  for (const [id, c] of Object.entries(rb.causes))
    out.push({ at: `cause ${id}, evidence`, codes: c.evidence });
  return out;
}

/** A code nobody emits leaves its branch silently dead: name each one. */
export function unknownFindings(rb: Runbook): ValidationIssue[] {
  const emitted = new Set(rb.steps.flatMap((s) => (s.kind === 'diagnose' ? s.emits : [])));
  return conditionsOf(rb).flatMap(({ at, codes }) =>
    codes
      .filter((c) => !emitted.has(c))
      .map((c) => ({
        code: 'unknown-finding' as const,
        step: at.split(/[ ,]/)[1] ?? '',
        message: `${at}: names finding ${c}, which no diagnose step emits`,
      })),
  );
}

/**
 * A healthy outcome must rest on every check the decisions before it read: if one of those was not
 * read, "no branch matched" proves nothing, and the engine ends inconclusive at run time.
 */
export function healthyPastUnread(rb: Runbook, good: readonly Edge[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const emitters = (code: string) =>
    rb.steps.filter((s) => s.kind === 'diagnose' && s.emits.includes(code)).map((s) => s.id);
  for (const o of rb.steps) {
    if (o.kind !== 'outcome' || o.outcome !== 'no-fault') continue;
    const restsOn = new Set(o.restsOn ?? []);
    if (o.restsOn === undefined)
      issues.push({
        code: 'healthy-past-unread',
        step: o.id,
        message: `healthy outcome ${o.id} does not say which checks it rests on (restsOn)`,
      });
    for (const id of restsOn) {
      if (rb.steps.find((s) => s.id === id)?.kind !== 'diagnose')
        issues.push({
          code: 'dangling-edge',
          step: o.id,
          message: `outcome ${o.id} rests on ${id}, which is not a diagnose step`,
        });
    }
    // Every check that runs whatever was found (no condition, or one on the target's shape only).
    for (const s of rb.steps)
      if (s.kind === 'diagnose' && (s.when === undefined || shapeOnly(s.when)) && !restsOn.has(s.id))
        issues.push({
          code: 'healthy-past-unread',
          step: o.id,
          message: `healthy outcome ${o.id} does not rest on ${s.id}, a check that always runs: an unread ${s.id} would pass for health`,
        });
    // Decide steps from which this outcome can be reached.
    const before = rb.steps.filter(
      (d) =>
        d.kind === 'decide' &&
        reachable(
          good.filter((e) => e.from !== ENTRY).map((e) => e),
          undefined,
          d.id,
        ).has(o.id),
    );
    for (const d of before) {
      if (d.kind !== 'decide') continue;
      const read = d.branches.flatMap((b) => codesOf(b.when)).flatMap(emitters);
      for (const id of new Set(read))
        if (!restsOn.has(id))
          issues.push({
            code: 'healthy-past-unread',
            step: o.id,
            message: `healthy outcome ${o.id} can be reached past "${d.title}", which reads ${id}, but does not rest on ${id}: an unread ${id} would pass for health`,
          });
    }
  }
  // "Resolved" is a claim of health after a repair: it must come from a healthy outcome's
  // `ifRepaired`, reached after a recheck read the target, never straight from a repair.
  const viaRepaired = new Set(
    rb.steps.flatMap((s) => (s.kind === 'outcome' && s.ifRepaired ? [s.ifRepaired] : [])),
  );
  for (const e of good) {
    const to = rb.steps.find((s) => s.id === e.to);
    if (to?.kind === 'outcome' && to.outcome === 'resolved' && e.label !== 'ifRepaired')
      issues.push({
        code: 'healthy-past-unread',
        step: e.from,
        message: `${e.from === ENTRY ? 'the runbook' : `step ${e.from}`} leads to resolved outcome ${to.id} by ${e.label}: resolved must follow a recheck, through a healthy outcome's ifRepaired`,
      });
  }
  for (const id of viaRepaired) {
    const to = rb.steps.find((s) => s.id === id);
    if (to && (to.kind !== 'outcome' || to.outcome !== 'resolved'))
      issues.push({
        code: 'wrong-edge-kind',
        step: id,
        message: `ifRepaired points to ${id}, which is not a resolved outcome`,
      });
  }
  return issues;
}
