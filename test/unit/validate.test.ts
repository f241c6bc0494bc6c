import { describe, expect, it } from 'vitest';
import { catalogueIssues, describeRunbook, validateRunbook } from '../../src/runbooks/index.js';
import { builtinRunbooks } from '../../src/runbooks/library/index.js';
import { toyRunbook, toyWith } from '../support/toy-runbook.js';

const codes = (input: unknown) => {
  const v = validateRunbook(input);
  return v.ok ? [] : v.issues.map((i) => i.code);
};

type Steps = ReturnType<typeof toyRunbook>['steps'];
const replace = (id: string, patch: (s: Steps[number]) => Steps[number]) => (steps: Steps) =>
  steps.map((s) => (s.id === id ? patch(s) : s));

describe('runbook validation', () => {
  it('accepts the toy runbook and both shipped runbooks', () => {
    expect(codes(toyRunbook())).toEqual([]);
    for (const rb of builtinRunbooks) expect(validateRunbook(rb)).toMatchObject({ ok: true });
  });

  it('reports schema problems as data', () => {
    const v = validateRunbook({ id: 'Bad Id', steps: [] });
    expect(v.ok).toBe(false);
    expect(codes({ id: 'Bad Id', steps: [] }).every((c) => c === 'schema')).toBe(true);
  });

  it('dangling-edge: a branch to a step that does not exist', () => {
    const rb = toyWith(replace('triage', (s) => (s.kind === 'decide' ? { ...s, default: 'nowhere' } : s)));
    expect(codes(rb)).toContain('dangling-edge');
  });

  it('dangling-edge: a need that does not exist', () => {
    const rb = toyWith(replace('c', (s) => (s.kind === 'diagnose' ? { ...s, needs: ['ghost'] } : s)));
    expect(codes(rb)).toContain('dangling-edge');
  });

  it('unreachable-step: an outcome nothing leads to', () => {
    const rb = toyWith((steps) => [
      ...steps,
      { kind: 'outcome', id: 'orphan', title: 'o', outcome: 'resolved', summary: 'o' },
    ]);
    expect(validateRunbook(rb)).toMatchObject({
      ok: false,
      issues: [{ code: 'unreachable-step', step: 'orphan' }],
    });
  });

  it('unbounded-cycle: a failed repair that loops back to its approval forever', () => {
    // Rerouting onFailure also leaves the old escalate outcome unreachable.
    const rb = toyWith(replace('fix', (s) => (s.kind === 'repair' ? { ...s, onFailure: 'approve-fix' } : s)));
    expect(codes(rb).sort()).toEqual(['unbounded-cycle', 'unreachable-step']);
  });

  it('the same cycle is accepted once a step in it has maxVisits', () => {
    const rb = toyWith((steps) =>
      steps.map((s) => {
        if (s.kind === 'repair') return { ...s, onFailure: 'approve-fix' };
        if (s.kind === 'approval') return { ...s, maxVisits: 2 };
        return s;
      }),
    );
    expect(codes(rb)).toEqual(['unreachable-step']);
  });

  it('needs-cycle: two probes waiting on each other', () => {
    const rb = toyWith((steps) =>
      steps.map((s) => (s.id === 'a' && s.kind === 'diagnose' ? { ...s, needs: ['c'] } : s)),
    );
    expect(codes(rb)).toContain('needs-cycle');
  });

  it('repair-without-approval: a decide branch straight to the repair', () => {
    const rb = toyWith(
      replace('triage', (s) =>
        s.kind === 'decide' ? { ...s, branches: [{ when: { finding: 'bad' }, to: 'fix' }] } : s,
      ),
    );
    const v = validateRunbook(rb);
    expect(v.ok).toBe(false);
    if (!v.ok)
      expect(v.issues).toContainEqual(
        expect.objectContaining({ code: 'repair-without-approval', step: 'fix' }),
      );
  });

  it('repair-without-approval: a repair naming a step that is not its approval', () => {
    const rb = toyWith(replace('fix', (s) => (s.kind === 'repair' ? { ...s, approval: 'triage' } : s)));
    expect(codes(rb)).toContain('repair-without-approval');
  });

  it('decide-without-default', () => {
    const rb = toyWith(
      replace('triage', (s) => {
        if (s.kind !== 'decide') return s;
        const { default: _dropped, ...rest } = s;
        return rest;
      }),
    );
    expect(codes(rb)).toContain('decide-without-default');
  });

  it('wrong-edge-kind and unknown-cause', () => {
    const wrongKind = toyWith(replace('fix', (s) => (s.kind === 'repair' ? { ...s, verify: ['a'] } : s)));
    expect(codes(wrongKind)).toContain('wrong-edge-kind');
    const unknownCause = toyWith(
      replace('triage', (s) =>
        s.kind === 'decide' ? { ...s, branches: s.branches.map((b) => ({ ...b, cause: 'nope' })) } : s,
      ),
    );
    expect(codes(unknownCause)).toEqual(['unknown-cause']);
  });

  it('duplicate-step', () => {
    const rb = toyWith((steps) => [...steps, steps[0] as Steps[number]]);
    expect(codes(rb)).toContain('duplicate-step');
  });
});

describe('runbook validation: conclusions that would not be earned', () => {
  it('unknown-finding: a condition names a code no step emits (a typo leaves the branch dead)', () => {
    const rb = toyWith(
      replace('triage', (s) =>
        s.kind === 'decide'
          ? { ...s, branches: [{ when: { finding: 'bda' }, to: 'approve-fix', cause: 'broken' }] }
          : s,
      ),
    );
    const v = validateRunbook(rb);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.issues).toContainEqual(
      expect.objectContaining({ code: 'unknown-finding', message: expect.stringContaining('bda') }),
    );
  });

  it('unknown-finding: in a precondition and in a cause', () => {
    const pre = toyWith(
      replace('fix', (s) =>
        s.kind === 'repair' ? { ...s, precondition: { step: 'a', findings: ['gone'] } } : s,
      ),
    );
    expect(codes(pre)).toContain('unknown-finding');
    const cause = {
      ...toyRunbook(),
      causes: { broken: { title: 't', evidence: ['nobody-emits'], prevention: [] } },
    };
    expect(codes(cause)).toContain('unknown-finding');
  });

  it('healthy-past-unread: a healthy outcome that does not rest on a check its decision read', () => {
    // "fine" is the triage default; the triage reads "bad", which every probe emits.
    const rb = toyWith(
      replace('fine', (s) => (s.kind === 'outcome' ? { ...s, restsOn: ['a', 'b', 'c'] } : s)),
    );
    const v = validateRunbook(rb);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.issues.map((i) => i.code)).toEqual(['healthy-past-unread', 'healthy-past-unread']);
    expect(v.issues).toContainEqual(
      expect.objectContaining({
        step: 'fine',
        message: expect.stringContaining('which reads d, but does not rest on d'),
      }),
    );
  });

  it('healthy-past-unread: a healthy outcome that names no checks at all', () => {
    const rb = toyWith(
      replace('fine', (s) =>
        s.kind === 'outcome'
          ? { kind: 'outcome', id: 'fine', title: 'f', outcome: 'no-fault', summary: 'f' }
          : s,
      ),
    );
    expect(codes(rb)).toContain('healthy-past-unread');
  });

  it('unbuildable-step: a repair whose builder makes nothing from the example facts cannot be listed', () => {
    const rb = toyWith(replace('fix', (s) => (s.kind === 'repair' ? { ...s, actions: () => null } : s)));
    expect(codes(rb)).toContain('unbuildable-step');
  });

  it('the listing renders each command from the builder that makes its argv', () => {
    const listing = describeRunbook(toyRunbook());
    expect(listing).toContain('$ docker exec <redis container> fix one');
    expect(listing).toContain('$ docker exec <redis container> fix two');
  });

  it('the catalogue serve checks at start: one line per issue, none for valid runbooks', () => {
    expect(catalogueIssues(builtinRunbooks)).toEqual([]);
    const typo = toyWith(
      replace('triage', (s) =>
        s.kind === 'decide'
          ? { ...s, branches: [{ when: { finding: 'bda' }, to: 'approve-fix', cause: 'broken' }] }
          : s,
      ),
    );
    expect(catalogueIssues([toyRunbook(), typo])).toEqual([
      expect.stringMatching(/^toy \[unknown-finding\] step triage, branch to approve-fix: names finding bda/),
    ]);
  });

  it('the shipped runbooks rest every healthy outcome on every check their triage reads', () => {
    for (const rb of builtinRunbooks) {
      const healthy = rb.steps.filter((s) => s.kind === 'outcome' && s.outcome === 'no-fault');
      expect(healthy.length).toBeGreaterThan(0);
      for (const h of healthy) expect(h.kind === 'outcome' && h.restsOn?.length).toBeGreaterThan(0);
    }
  });
});
