import { describe, expect, it } from 'vitest';
import type { EngineEvent, ExecResult, ExecuteCommand, Runbook } from '../../src/runbooks/index.js';
import { KEPT_OUTPUT, keptOutput } from '../../src/runbooks/index.js';
import { redact } from '../../src/runbooks/redact.js';
import { engineDriver } from '../support/engine-driver.js';
import { result, toyRunbook, toyTarget, unreachable } from '../support/toy-runbook.js';

// The three-valued conclusions: fault found, healthy, could not tell. "Healthy" is earned only by
// reading every check it rests on; a repair is followed by a fresh look at the target.
type Answer = (key: string, round: number) => ExecResult;

/** The toy runbook: a recheck after its repair, resolved only when that second look reads health. */
const rechecking = (): Runbook => toyRunbook();

/** The toy driven with answers by step id and round; repairs answered by `repair`, run by `run`. */
function drive(
  rb: Runbook,
  answer: Answer,
  opts: { redactor?: (t: string) => string; handedOverFrom?: string[] } = {},
) {
  let repairWith: (c: ExecuteCommand) => EngineEvent | undefined = () => undefined;
  const d = engineDriver(rb, {
    target: toyTarget,
    answer: (id, round) => answer(id, round),
    repair: (c) => repairWith(c),
    ...(opts.redactor ? { redactor: opts.redactor } : {}),
    ...(opts.handedOverFrom ? { handedOverFrom: opts.handedOverFrom } : {}),
  });
  return {
    get state() {
      return d.state;
    },
    run: (repair: (c: ExecuteCommand) => EngineEvent | undefined) => {
      repairWith = repair;
      d.run();
    },
    /** Approves without running on: the next `run` says how the repair ends. */
    approve: () => {
      const a = Object.values(d.state.approvals).find((x) => x.status === 'pending');
      if (!a) throw new Error('no pending approval');
      d.feed({ type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U_A' });
    },
  };
}

const repairOk = (c: ExecuteCommand): EngineEvent => ({
  type: 'step-result',
  stepKey: c.stepKey,
  attempt: c.attempt,
  results: c.actions.map(() => result('ok')),
});

describe('engine: no conclusion without a reading', () => {
  it('an unreadable check never ends healthy: inconclusive, naming the check and why', () => {
    const d = drive(toyRunbook(), (id) =>
      id === 'd' ? unreachable('connect ECONNREFUSED 127.0.0.1:2299') : result('fine'),
    );
    d.run(() => undefined);
    expect(d.state.status).toBe('inconclusive');
    expect(d.state.outcome?.summary).toMatch(/^Could not diagnose cache:/);
    expect(d.state.outcome?.summary).toContain('connect ECONNREFUSED 127.0.0.1:2299');
    expect(d.state.outcome?.summary).toContain(
      '2 checks could not be read: probe d (api), probe d (worker): connect ECONNREFUSED 127.0.0.1:2299.',
    );
    expect(d.state.approvals).toEqual({});
  });

  it('every check unreachable: inconclusive, one reason for all of them', () => {
    const d = drive(toyRunbook(), () => unreachable('ssh: connect timed out'));
    d.run(() => undefined);
    expect(d.state.status).toBe('inconclusive');
    expect(d.state.outcome?.summary).toContain(
      '5 checks could not be read: probe a, probe b, probe c, probe d (api), probe d (worker): ssh: connect timed out.',
    );
  });

  it('a fault read elsewhere is still proposed, and the card says what could not be checked', () => {
    const d = drive(toyRunbook(), (id) =>
      id === 'a' ? unreachable('timed out') : result(id === 'b' ? 'bad' : 'fine'),
    );
    d.run(() => undefined);
    expect(d.state.status).toBe('awaiting-approval');
    const a = Object.values(d.state.approvals)[0];
    expect(a?.cause).toBe('broken');
    expect(a?.unread).toEqual(['probe a: timed out']);
  });

  it('an analyzer that emits a code its step does not declare is a bug, and throws', () => {
    const rb = toyRunbook();
    const steps = rb.steps.map((s) =>
      s.id === 'a' && s.kind === 'diagnose' ? { ...s, emits: ['a-ok'] } : s,
    );
    const d = drive({ ...rb, steps }, (id) => result(id === 'a' ? 'bad' : 'fine'));
    expect(() => d.run(() => undefined)).toThrow(/undeclared codes bad/);
  });
});

describe('engine: after a repair, look again', () => {
  it('repair verified, the second look reads health: resolved, naming the repair', () => {
    const d = drive(rechecking(), (id, round) =>
      result(id === 'v' ? 'good' : round === 1 && id === 'b' ? 'bad' : 'fine'),
    );
    d.run(repairOk);
    d.approve();
    d.run(repairOk);
    expect(d.state.status).toBe('resolved');
    expect(d.state.diagnosisRound).toBe(2);
    expect(d.state.outcome?.summary).toContain('Repaired and verified: fix it');
    const round2 = Object.values(d.state.steps).filter((s) => s.kind === 'diagnose' && s.round === 2);
    expect(round2.map((s) => s.stepId).sort()).toEqual(['a', 'b', 'c', 'd', 'd']);
  });

  it('the fault still there after a verified repair: escalated, never the same repair again', () => {
    const d = drive(rechecking(), (id) => result(id === 'v' ? 'good' : id === 'b' ? 'bad' : 'fine'));
    d.run(repairOk);
    d.approve();
    d.run(repairOk);
    expect(d.state.status).toBe('escalated');
    expect(d.state.outcome?.summary).toMatch(/still there after its repair was verified/);
    expect(Object.values(d.state.approvals)).toHaveLength(1);
  });

  it('the second look cannot read a check: inconclusive, and the repair that ran is said', () => {
    const d = drive(rechecking(), (id, round) =>
      id === 'v'
        ? result('good')
        : round === 2 && id === 'c'
          ? unreachable('timed out')
          : result(round === 1 && id === 'b' ? 'bad' : 'fine'),
    );
    d.run(repairOk);
    d.approve();
    d.run(repairOk);
    expect(d.state.status).toBe('inconclusive');
    expect(d.state.outcome?.summary).toContain('Repaired and verified: fix it');
  });

  it('a check failing for another fault verifies this repair, and the look that follows takes it up', () => {
    const rb = rechecking();
    const steps = rb.steps.map((s) =>
      s.kind === 'verify'
        ? {
            ...s,
            check: () => ({ passed: false, statement: 'SET → OOM', evidence: ['OOM'], otherFault: 'bad' }),
          }
        : s,
    );
    const d = drive({ ...rb, steps }, (id, round) => result(round === 1 && id === 'b' ? 'bad' : 'fine'));
    d.run(repairOk);
    d.approve();
    d.run(repairOk);
    const repair = Object.values(d.state.steps).find((s) => s.kind === 'repair');
    expect(repair?.verified).toBe(true);
    expect(d.state.timeline.find((e) => e.kind === 'verified')?.text).toMatch(
      /failing for another fault: SET → OOM/,
    );
    expect(d.state.status).toBe('resolved');
  });
});

describe('engine: the precondition has three values', () => {
  const notRun =
    (kind: 'fixed-meanwhile' | 'could-not-check') =>
    (c: ExecuteCommand): EngineEvent => ({
      type: 'step-result',
      stepKey: c.stepKey,
      attempt: c.attempt,
      results: [],
      notRun: kind === 'fixed-meanwhile' ? 'the fault is no longer there' : 'could not check: timed out',
      notRunKind: kind,
    });

  it('fixed meanwhile: not run, and a fresh look decides (healthy, not "resolved")', () => {
    const d = drive(rechecking(), (id, round) => result(round === 1 && id === 'b' ? 'bad' : 'fine'));
    d.run(repairOk);
    d.approve();
    d.run(notRun('fixed-meanwhile'));
    expect(d.state.status).toBe('no-fault');
    expect(Object.values(d.state.steps).find((s) => s.kind === 'repair')?.status).toBe('skipped');
  });

  it('could not check: not run, escalated, and never "the fault is gone"', () => {
    const d = drive(rechecking(), (id, round) => result(round === 1 && id === 'b' ? 'bad' : 'fine'));
    d.run(repairOk);
    d.approve();
    d.run(notRun('could-not-check'));
    expect(d.state.status).toBe('escalated');
    expect(d.state.outcome?.summary).toContain('could not check');
    expect(d.state.outcome?.summary).not.toMatch(/no longer there/);
  });
});

describe('engine: secrets are removed from what is stored, not from what analyzers read', () => {
  it('a password that is also a word of the output ("bad") still lets the analyzer read it', () => {
    const d = drive(toyRunbook(), (id) => result(id === 'b' ? 'status:bad' : 'fine'), {
      redactor: (t) => redact(t, ['bad']),
    });
    d.run(() => undefined);
    expect(d.state.status).toBe('awaiting-approval');
    const b = d.state.steps.b;
    expect(b?.results[0]?.stdout).toBe('status:[REDACTED]');
    expect(b?.findings[0]?.evidence).toEqual(['status:[REDACTED]']);
    expect(JSON.stringify(d.state)).not.toMatch(/status:bad/);
  });

  it('a long output is read whole by its analyzer; the state keeps its head and tail, redacted before the cut', () => {
    // The secret straddles where the head ends: cut first, a piece of it would be kept.
    const secret = 's3cr3t-value';
    const out = `${'x'.repeat(KEPT_OUTPUT.head - 4)}${secret}${'m'.repeat(10_000)}status:bad\n${'y'.repeat(9_000)}`;
    const d = drive(toyRunbook(), (id) => result(id === 'b' ? out : 'fine'), {
      redactor: (t) => redact(t, [secret]),
    });
    d.run(() => undefined);
    expect(d.state.status).toBe('awaiting-approval');
    const kept = d.state.steps.b?.results[0];
    expect(d.state.steps.b?.findings.map((f) => f.code)).toEqual(['bad']);
    expect(kept?.stdout.startsWith(`${'x'.repeat(KEPT_OUTPUT.head - 4)}[RED`)).toBe(true);
    expect(kept?.stdout.endsWith('y'.repeat(KEPT_OUTPUT.tail))).toBe(true);
    expect(kept?.stdout).toMatch(/\n\[… \d+ characters not kept …\]\n/);
    const stored = out.replace(secret, '[REDACTED]');
    expect(kept?.notKept).toBe(stored.length - KEPT_OUTPUT.head - KEPT_OUTPUT.tail);
    expect(JSON.stringify(d.state.steps.b?.results)).not.toMatch(/s3cr/);
    // A short output is kept as it came.
    expect(d.state.steps.a?.results[0]).toEqual(result('fine'));
  });

  it('the kept head and tail never split a character in two', () => {
    const face = '\u{1F600}'; // two UTF-16 code units
    const out = `${'x'.repeat(KEPT_OUTPUT.head - 1)}${face}${'m'.repeat(5_000)}${face}${'y'.repeat(KEPT_OUTPUT.tail - 1)}`;
    const kept = keptOutput(result(out)).stdout;
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    expect(lone.test(kept)).toBe(false);
    // Both faces straddle a cut, so both go with the part not kept.
    expect(kept.startsWith(`${'x'.repeat(KEPT_OUTPUT.head - 1)}\n[…`)).toBe(true);
    expect(kept.endsWith(`…]\n${'y'.repeat(KEPT_OUTPUT.tail - 1)}`)).toBe(true);
  });

  it('a secret cut by the output cap is redacted at the cut too', () => {
    expect(redact('aaaa s3cr', ['s3cr3t-value'], { cut: true })).toBe('aaaa [REDACTED]');
    expect(redact('aaaa s3cr', ['s3cr3t-value'])).toBe('aaaa s3cr');
  });
});

describe('engine: a handover never goes round in circles', () => {
  it('handing back to a runbook that already ran on this fault escalates instead', () => {
    const rb = toyRunbook();
    const steps = rb.steps.map((s) =>
      s.id === 'triage' && s.kind === 'decide'
        ? { ...s, branches: [{ when: { finding: 'bad' }, to: 'elsewhere' }] }
        : s,
    );
    steps.push({
      kind: 'outcome',
      id: 'elsewhere',
      title: 'e',
      outcome: 'handed-over',
      summary: 'Not ours: handed over.',
      handover: 'other',
    });
    const toy = { ...rb, steps };
    const first = drive(toy, () => result('bad'), { handedOverFrom: ['other'] });
    first.run(() => undefined);
    expect(first.state.status).toBe('escalated');
    expect(first.state.outcome?.summary).toMatch(/other already ran on this fault/);
    const fresh = drive(toy, () => result('bad'));
    fresh.run(() => undefined);
    expect(fresh.state.status).toBe('handed-over');
  });
});
