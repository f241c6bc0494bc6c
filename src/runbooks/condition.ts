import type { Condition, Facts, Finding } from './model.js';
import type { TargetView } from './target.js';

export interface ConditionScope {
  findings: readonly Finding[];
  facts: Facts;
  target: TargetView;
}

export function holds(c: Condition, scope: ConditionScope): boolean {
  if ('always' in c) return true;
  if ('finding' in c) return scope.findings.some((f) => f.code === c.finding);
  if ('fact' in c) {
    const v = scope.facts[c.fact];
    return c.equals === undefined ? v !== undefined : v === c.equals;
  }
  if ('targetKind' in c) return scope.target.kind === c.targetKind;
  if ('hasClients' in c) return scope.target.clients.length > 0;
  if ('all' in c) return c.all.every((x) => holds(x, scope));
  if ('any' in c) return c.any.some((x) => holds(x, scope));
  return !holds(c.not, scope);
}

/** Human-readable form for listings and cards. */
export function describeCondition(c: Condition): string {
  if ('always' in c) return 'always';
  if ('finding' in c) return `finding ${c.finding}`;
  if ('fact' in c) return c.equals === undefined ? `fact ${c.fact} known` : `${c.fact} = ${String(c.equals)}`;
  if ('targetKind' in c) return `target is ${c.targetKind}`;
  if ('hasClients' in c) return 'target has clients';
  if ('all' in c) return `(${c.all.map(describeCondition).join(' and ')})`;
  if ('any' in c) return `(${c.any.map(describeCondition).join(' or ')})`;
  return `not ${describeCondition(c.not)}`;
}
