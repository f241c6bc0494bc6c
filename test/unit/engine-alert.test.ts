import { describe, expect, it } from 'vitest';
import type { EngineCommand, EngineEvent, RunState, Transition } from '../../src/runbooks/index.js';
import { advance, engineEventSchema, runStateSchema, start } from '../../src/runbooks/index.js';
import { result, toyRunbook, toyTarget } from '../support/toy-runbook.js';

// The engine's alert event: recorded on the timeline and in the state, noted in the thread, never
// acted on; the same notification twice is ignored.
const rb = toyRunbook();
const lookup = () => rb;
const T0 = Date.UTC(2026, 11, 2, 3, 0, 0);
const FP = '4a1f0c2d9e8b7a65';

const step = (s: RunState, e: EngineEvent, at: number): Transition => {
  const t = advance(s, e, at, lookup);
  expect(runStateSchema.parse(JSON.parse(JSON.stringify(t.state)))).toEqual(t.state);
  return t;
};

const opened = () =>
  start(
    rb,
    {
      runId: 'INC-0001',
      target: toyTarget,
      startedBy: 'alertmanager:RedisDown',
      approvalTtlMs: 600_000,
      alert: { fingerprint: FP, name: 'RedisDown', startsAt: T0 - 30_000, detectedAt: T0 - 100 },
    },
    T0,
  );

const alert = (
  status: 'firing' | 'resolved',
  o: Partial<Extract<EngineEvent, { type: 'alert' }>> = {},
): EngineEvent => ({
  type: 'alert',
  status,
  fingerprint: FP,
  name: 'RedisDown',
  at: T0 + 5_000,
  startsAt: T0 - 30_000,
  ...o,
});

/** Answers every diagnosis step so the toy run finds its fault and waits for approval. */
function toApproval(t: Transition): Transition {
  let cur = t;
  for (const key of ['a', 'b', 'c', 'd@api', 'd@worker'])
    cur = step(
      cur.state,
      { type: 'step-result', stepKey: key, attempt: 1, results: [result(key === 'b' ? 'bad' : 'fine')] },
      T0 + 1_000,
    );
  expect(cur.state.status).toBe('awaiting-approval');
  return cur;
}

const types = (cs: EngineCommand[]) => cs.map((c) => c.type);

describe('an incident an alert opens', () => {
  it('records the alert and puts its start and its detection on the timeline before the run starts', () => {
    const t = opened();
    expect(t.state.alerts).toEqual({
      [FP]: {
        name: 'RedisDown',
        status: 'firing',
        startsAt: T0 - 30_000,
        detectedAt: T0 - 100,
        opened: true,
      },
    });
    expect(t.state.timeline.slice(0, 3).map((e) => [e.kind, e.at])).toEqual([
      ['alert-firing', T0 - 30_000],
      ['alert-received', T0 - 100],
      ['started', T0],
    ]);
    expect(t.state.timeline[2]?.by).toBe('alertmanager:RedisDown');
    expect(runStateSchema.parse(JSON.parse(JSON.stringify(t.state)))).toEqual(t.state);
  });

  it('refuses a fingerprint that is not hex, which would become a key of the state', () => {
    expect(() =>
      start(
        rb,
        {
          runId: 'INC-0001',
          target: toyTarget,
          startedBy: 'alertmanager:X',
          approvalTtlMs: 1000,
          alert: { fingerprint: '__proto__', name: 'X', detectedAt: T0 },
        },
        T0,
      ),
    ).toThrow(/fingerprint/);
    expect(engineEventSchema.safeParse(alert('firing', { fingerprint: '__proto__' })).success).toBe(false);
  });
});

describe('the alert event', () => {
  it('a repeat of the opening alert (same fingerprint and startsAt) is ignored: same state, no command', () => {
    const t = opened();
    const again = advance(t.state, alert('firing'), T0 + 5_000, lookup);
    expect(again.ignored).toBe('duplicate-alert');
    expect(again.state).toBe(t.state);
    expect(again.commands).toEqual([]);
  });

  it('resolved while the repair waits for approval: a timeline entry, a note, the card refreshed, nothing run', () => {
    const waiting = toApproval(opened());
    const t = step(waiting.state, alert('resolved', { endsAt: T0 + 4_000 }), T0 + 5_000);
    expect(t.ignored).toBeUndefined();
    expect(types(t.commands)).toEqual(['post-note', 'status']);
    expect(t.commands.some((c) => c.type === 'execute')).toBe(false);
    expect(t.state.status).toBe('awaiting-approval');
    expect(t.state.alerts?.[FP]).toMatchObject({ status: 'resolved', resolvedAt: T0 + 4_000, opened: true });
    const last = t.state.timeline.at(-1);
    expect(last?.kind).toBe('alert-resolved');
    expect(last?.text).toBe(
      'Alert RedisDown resolved at 2026-12-02 03:00:04 UTC. The repair "fix it" still waits for a decision: a person may still approve or reject it.',
    );
    const note = t.commands[0];
    expect(note).toEqual({
      type: 'post-note',
      runId: 'INC-0001',
      key: `alert.${FP}.${T0 - 30_000}.resolved`,
      text: last?.text,
    });
    // The same resolution again is a repeat; the approval can still be decided.
    expect(advance(t.state, alert('resolved', { endsAt: T0 + 4_000 }), T0 + 9_000, lookup).ignored).toBe(
      'duplicate-alert',
    );
    const approval = Object.values(t.state.approvals)[0];
    const approved = step(
      t.state,
      { type: 'approval-decision', approvalId: approval?.id ?? '', decision: 'approve', by: 'U_A' },
      T0 + 10_000,
    );
    expect(approved.state.status).toBe('repairing');
  });

  it('another fingerprint firing, and the same alert firing again after resolving, are noted', () => {
    const t = opened();
    const other = step(
      t.state,
      alert('firing', { fingerprint: 'ff00', name: 'RedisAofWriteFailing' }),
      T0 + 1,
    );
    expect(other.state.alerts?.ff00).toMatchObject({ name: 'RedisAofWriteFailing', status: 'firing' });
    expect(other.state.timeline.at(-1)?.text).toMatch(
      /^Alert RedisAofWriteFailing fired for this incident too \(firing since .*\): noted here, no second incident was opened\.$/,
    );
    const resolved = step(other.state, alert('resolved'), T0 + 2);
    const again = step(
      resolved.state,
      alert('firing', { startsAt: T0 + 60_000, at: T0 + 61_000 }),
      T0 + 61_000,
    );
    // The alert that opened the incident keeps its first startsAt (the incident's clock reads it).
    expect(again.state.alerts?.[FP]).toMatchObject({
      status: 'firing',
      startsAt: T0 - 30_000,
      latestStartsAt: T0 + 60_000,
      opened: true,
    });
    expect(again.state.timeline.at(-1)?.text).toMatch(/^Alert RedisDown fired again/);
    expect(types(again.commands)).toEqual(['post-note', 'status']);
    // A late copy of the first firing, after its resolution, is not a new firing.
    expect(advance(resolved.state, alert('firing'), T0 + 3, lookup).ignored).toBe('duplicate-alert');
  });

  it('on an ended incident: still recorded and noted, and its report filed again', () => {
    const cancelled = step(opened().state, { type: 'cancel', by: 'U_A' }, T0 + 1_000);
    expect(cancelled.state.status).toBe('cancelled');
    const r = step(cancelled.state, alert('resolved', { endsAt: T0 + 2_000 }), T0 + 3_000);
    expect(types(r.commands)).toEqual(['post-note', 'status', 'refile-report']);
    expect(r.state.timeline.at(-1)?.text).toBe('Alert RedisDown resolved at 2026-12-02 03:00:02 UTC.');
    const again = step(r.state, alert('firing', { startsAt: T0 + 5_000 }), T0 + 6_000);
    expect(again.state.timeline.at(-1)?.text).toMatch(
      /fired again \(firing since .*\) after the incident had ended: no new diagnosis was started/,
    );
    expect(again.commands.some((c) => c.type === 'execute')).toBe(false);
    expect(again.state.status).toBe('cancelled');
  });

  it('a resolution of an alert the incident never saw firing is recorded as it comes', () => {
    const t = step(
      opened().state,
      alert('resolved', { fingerprint: 'abc', name: 'Other', endsAt: T0 + 7 }),
      T0 + 9,
    );
    expect(t.state.alerts?.abc).toEqual({
      name: 'Other',
      status: 'resolved',
      startsAt: T0 - 30_000,
      detectedAt: T0 + 5_000,
      resolvedAt: T0 + 7,
    });
  });
});
