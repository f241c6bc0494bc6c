import type { Condition, Facts, Finding } from './model.js';
import type { TargetView } from './target.js';

export interface ConditionScope {
  findings: readonly Finding[];
  facts: Facts;
  target: TargetView;
  /**
   * Finding codes nobody can vouch for: a step that can emit them was not read. Their absence
   * proves nothing, so a condition on them is unknown rather than false.
   */
  unknownCodes?: ReadonlySet<string>;
  /** Some check of this round was not read: a fact it might have set is unknown, not absent. */
  someUnread?: boolean;
  /** Steps of this round by whether every instance was read. */
  readSteps?: ReadonlySet<string>;
  unreadSteps?: ReadonlySet<string>;
  /** A repair of this run was verified before this look. */
  repaired?: boolean;
}

/** Three-valued (Kleene) truth: what was read, what was read to be absent, what could not be read. */
export type Truth = true | false | 'unknown';

export function evaluate(c: Condition, scope: ConditionScope): Truth {
  if ('always' in c) return true;
  if ('finding' in c) {
    if (scope.findings.some((f) => f.code === c.finding)) return true;
    return scope.unknownCodes?.has(c.finding) ? 'unknown' : false;
  }
  if ('fact' in c) {
    const v = scope.facts[c.fact];
    if (v === undefined) return scope.someUnread ? 'unknown' : false;
    return c.equals === undefined ? true : v === c.equals;
  }
  if ('targetKind' in c) return scope.target.kind === c.targetKind;
  if ('hasClients' in c) return scope.target.clients.length > 0;
  if ('repaired' in c) return scope.repaired === true;
  if ('read' in c) {
    if (scope.unreadSteps?.has(c.read)) return 'unknown';
    return scope.readSteps?.has(c.read) ?? false;
  }
  if ('all' in c) {
    const parts = c.all.map((x) => evaluate(x, scope));
    if (parts.includes(false)) return false;
    return parts.includes('unknown') ? 'unknown' : true;
  }
  if ('any' in c) {
    const parts = c.any.map((x) => evaluate(x, scope));
    if (parts.includes(true)) return true;
    return parts.includes('unknown') ? 'unknown' : false;
  }
  const inner = evaluate(c.not, scope);
  return inner === 'unknown' ? 'unknown' : !inner;
}

/** True when a condition reads only the target's shape (its kind, its clients), nothing found. */
export function shapeOnly(c: Condition): boolean {
  if ('finding' in c || 'fact' in c || 'read' in c || 'repaired' in c) return false;
  if ('all' in c) return c.all.every(shapeOnly);
  if ('any' in c) return c.any.every(shapeOnly);
  if ('not' in c) return shapeOnly(c.not);
  return true;
}

/** Every finding code a condition names, for validation. */
export function codesOf(c: Condition): string[] {
  if ('finding' in c) return [c.finding];
  if ('all' in c) return c.all.flatMap(codesOf);
  if ('any' in c) return c.any.flatMap(codesOf);
  if ('not' in c) return codesOf(c.not);
  return [];
}

/** Human-readable form for listings and cards. */
export function describeCondition(c: Condition): string {
  if ('always' in c) return 'always';
  if ('finding' in c) return `finding ${c.finding}`;
  if ('fact' in c) return c.equals === undefined ? `fact ${c.fact} known` : `${c.fact} = ${String(c.equals)}`;
  if ('targetKind' in c) return `target is ${c.targetKind}`;
  if ('hasClients' in c) return 'target has clients';
  if ('repaired' in c) return 'after a verified repair';
  if ('read' in c) return `${c.read} read`;
  if ('all' in c) return `(${c.all.map(describeCondition).join(' and ')})`;
  if ('any' in c) return `(${c.any.map(describeCondition).join(' or ')})`;
  return `not ${describeCondition(c.not)}`;
}
