import { describe, expect, it } from 'vitest';
import type { Condition, ConditionScope } from '../../src/runbooks/index.js';
import { codesOf, describeCondition, evaluate, shapeOnly } from '../../src/runbooks/index.js';
import { toyTarget } from '../support/toy-runbook.js';

// Conditions in three-valued logic: true, false, or unknown when what they rest on was not read.

const finding = (code: string) => ({ code, severity: 'critical' as const, statement: code, evidence: [] });
const scope = (o: Partial<ConditionScope> = {}): ConditionScope => ({
  findings: [],
  facts: {},
  target: toyTarget,
  ...o,
});
const T = { always: true } as const;
const F: Condition = { not: { always: true } };
const U: Condition = { finding: 'x' };
const unknownX = scope({ unknownCodes: new Set(['x']) });

describe('evaluate', () => {
  it('always is true; a finding is true when found, unknown when unread, else false', () => {
    expect(evaluate(T, scope())).toBe(true);
    expect(evaluate({ finding: 'x' }, scope({ findings: [finding('x')] }))).toBe(true);
    expect(evaluate({ finding: 'x' }, unknownX)).toBe('unknown');
    expect(evaluate({ finding: 'x' }, scope({ unknownCodes: new Set(['y']) }))).toBe(false);
    expect(evaluate({ finding: 'x' }, scope())).toBe(false);
  });

  it('a fact: known, equal or not; absent is unknown only while some check is unread', () => {
    const facts = { 'redis.running': true, 'redis.uid': 999 };
    expect(evaluate({ fact: 'redis.uid' }, scope({ facts }))).toBe(true);
    expect(evaluate({ fact: 'redis.uid', equals: 999 }, scope({ facts }))).toBe(true);
    expect(evaluate({ fact: 'redis.uid', equals: 1000 }, scope({ facts }))).toBe(false);
    expect(evaluate({ fact: 'redis.running', equals: false }, scope({ facts }))).toBe(false);
    expect(evaluate({ fact: 'dir.mode' }, scope({ facts }))).toBe(false);
    expect(evaluate({ fact: 'dir.mode' }, scope({ facts, someUnread: true }))).toBe('unknown');
    expect(evaluate({ fact: 'dir.mode' }, scope({ facts, someUnread: false }))).toBe(false);
  });

  it('the target’s shape: its kind and whether it has clients', () => {
    expect(evaluate({ targetKind: toyTarget.kind }, scope())).toBe(true);
    expect(evaluate({ targetKind: toyTarget.kind === 'docker' ? 'ssh' : 'docker' }, scope())).toBe(false);
    expect(evaluate({ hasClients: true }, scope())).toBe(toyTarget.clients.length > 0);
    expect(evaluate({ hasClients: true }, scope({ target: { ...toyTarget, clients: [] } }))).toBe(false);
  });

  it('read: true when every instance was read, unknown when one was not, false when it did not run', () => {
    expect(evaluate({ read: 'a' }, scope({ readSteps: new Set(['a']) }))).toBe(true);
    expect(evaluate({ read: 'a' }, scope({ readSteps: new Set(['a']), unreadSteps: new Set(['a']) }))).toBe(
      'unknown',
    );
    expect(evaluate({ read: 'a' }, scope({ readSteps: new Set(['b']) }))).toBe(false);
    expect(evaluate({ read: 'a' }, scope())).toBe(false);
  });

  it('all, any and not follow Kleene’s tables', () => {
    const s = unknownX;
    const cases: [Condition, boolean | 'unknown'][] = [
      [{ all: [T, T] }, true],
      [{ all: [T, F] }, false],
      [{ all: [U, F] }, false],
      [{ all: [T, U] }, 'unknown'],
      [{ all: [] }, true],
      [{ any: [F, F] }, false],
      [{ any: [F, T] }, true],
      [{ any: [U, T] }, true],
      [{ any: [F, U] }, 'unknown'],
      [{ any: [] }, false],
      [{ not: T }, false],
      [{ not: F }, true],
      [{ not: U }, 'unknown'],
    ];
    for (const [c, want] of cases) expect(evaluate(c, s), describeCondition(c)).toBe(want);
  });
});

describe('what a condition names', () => {
  it('shapeOnly: only the target’s kind and clients, however nested', () => {
    expect(shapeOnly({ hasClients: true })).toBe(true);
    expect(shapeOnly({ all: [{ targetKind: 'docker' }, { not: { hasClients: true } }] })).toBe(true);
    expect(shapeOnly({ any: [{ targetKind: 'ssh' }, { hasClients: true }] })).toBe(true);
    for (const c of [
      { finding: 'x' },
      { fact: 'y' },
      { read: 'z' },
      { all: [{ hasClients: true }, { finding: 'x' }] },
      { any: [{ hasClients: true }, { fact: 'y' }] },
      { not: { read: 'z' } },
    ] as Condition[])
      expect(shapeOnly(c), describeCondition(c)).toBe(false);
  });

  it('codesOf: every finding code, in order, from every branch', () => {
    expect(
      codesOf({
        all: [{ finding: 'a' }, { any: [{ finding: 'b' }, { not: { finding: 'c' } }] }, { fact: 'd' }],
      }),
    ).toEqual(['a', 'b', 'c']);
    expect(codesOf({ hasClients: true })).toEqual([]);
  });

  it('describeCondition reads as a listing does', () => {
    expect(
      describeCondition({
        all: [
          { finding: 'misconf' },
          { fact: 'redis.running', equals: true },
          { fact: 'dir.uid' },
          { any: [{ targetKind: 'docker' }, { hasClients: true }, { read: 'ping' }] },
          { not: T },
        ],
      }),
    ).toBe(
      '(finding misconf and redis.running = true and fact dir.uid known and (target is docker or target has clients or ping read) and not always)',
    );
  });
});
