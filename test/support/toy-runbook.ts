import type { ExecResult, Runbook, TargetView } from '../../src/runbooks/index.js';

export const toyTarget: TargetView = {
  name: 'cache',
  kind: 'docker',
  redis: { container: 'qpp-redis', host: 'qpp-redis', port: 6379, hasPassword: false },
  clients: [
    { name: 'api', container: 'qpp-api' },
    { name: 'worker', container: 'qpp-worker' },
  ],
};

export const unreachable = (error: string): ExecResult => ({
  exitCode: null,
  stdout: '',
  stderr: '',
  durationMs: 5,
  timedOut: false,
  unreachable: true,
  truncated: false,
  error,
});

/** An executor result: exit 0 with this stdout, and whatever else the test says. */
export const res = (stdout: string, o: Partial<ExecResult> = {}): ExecResult => ({
  exitCode: 0,
  stdout,
  stderr: '',
  durationMs: 5,
  timedOut: false,
  unreachable: false,
  truncated: false,
  ...o,
});

export const result = (stdout: string, exitCode = 0): ExecResult => res(stdout, { exitCode });

const redis = { at: 'redis' } as const;
const outcome = (id: string, kind: 'resolved' | 'escalated' | 'no-fault' | 'rejected' | 'expired') => ({
  kind: 'outcome' as const,
  id,
  title: id,
  outcome: kind,
  summary: `${id}.`,
});

/**
 * A small runbook exercising every step kind: a and b run in parallel, c needs a, d runs once per
 * client; a finding "bad" leads to an approval, a repair and one verification.
 */
export function toyRunbook(): Runbook {
  const probe = (id: string, needs: string[] = [], forEach?: 'client') => ({
    kind: 'diagnose' as const,
    id,
    title: `probe ${id}`,
    needs,
    ...(forEach ? { forEach } : {}),
    action: () => ({ kind: 'exec' as const, place: redis, argv: ['echo', id] }),
    analyze: (r: ExecResult) =>
      r.unreachable
        ? {
            findings: [
              {
                code: 'probe-failed',
                severity: 'unknown' as const,
                statement: `could not run ${id}`,
                evidence: [],
              },
            ],
            unread: r.error ?? 'unreachable',
          }
        : {
            findings: r.stdout.includes('bad')
              ? [
                  {
                    code: 'bad',
                    severity: 'critical' as const,
                    statement: `${id} is bad`,
                    evidence: [r.stdout],
                  },
                ]
              : [{ code: `${id}-ok`, severity: 'ok' as const, statement: `${id} ok`, evidence: [] }],
            facts: { [`seen.${id}`]: true },
          },
    emits: ['bad', `${id}-ok`, 'probe-failed'],
    timeoutMs: 1000,
  });
  return {
    id: 'toy',
    title: 'Toy',
    summary: 'A runbook for engine tests.',
    targetKinds: ['docker'],
    afterDiagnosis: 'triage',
    steps: [
      probe('a'),
      probe('b'),
      probe('c', ['a']),
      probe('d', ['c'], 'client'),
      {
        kind: 'decide',
        id: 'triage',
        title: 'triage',
        branches: [{ when: { finding: 'bad' }, to: 'approve-fix', cause: 'broken' }],
        default: 'fine',
      },
      {
        kind: 'approval',
        id: 'approve-fix',
        title: 'approve',
        repair: 'fix',
        onReject: 'rejected',
        onExpire: 'expired',
      },
      {
        kind: 'repair',
        id: 'fix',
        title: 'fix it',
        approval: 'approve-fix',
        risk: 'low',
        actions: () => [
          { kind: 'exec', place: redis, argv: ['fix', 'one'] },
          { kind: 'exec', place: redis, argv: ['fix', 'two'] },
        ],
        verify: ['v'],
        onSuccess: 'recheck',
        onFailure: 'escalate',
        timeoutMs: 1000,
      },
      {
        kind: 'verify',
        id: 'v',
        title: 'verify',
        needs: [],
        action: () => ({ kind: 'exec', place: redis, argv: ['check'] }),
        check: (r: ExecResult) => ({
          passed: r.stdout === 'good',
          pending: r.stdout === 'wait',
          statement: r.stdout,
          evidence: [r.stdout],
        }),
        timeoutMs: 1000,
        retry: { attempts: 3, delayMs: 100 },
      },
      outcome('resolved', 'resolved'),
      { ...outcome('fine', 'no-fault'), restsOn: ['a', 'b', 'c', 'd'], ifRepaired: 'resolved' },
      { kind: 'recheck', id: 'recheck', title: 'look again', maxVisits: 3 },
      outcome('rejected', 'rejected'),
      outcome('expired', 'expired'),
      outcome('escalate', 'escalated'),
    ],
    example: {},
    causes: { broken: { title: 'It is broken', evidence: ['bad'], prevention: ['Do not break it.'] } },
  };
}

/** The toy runbook with some steps replaced or removed, for validation tests. */
export function toyWith(change: (steps: Runbook['steps']) => unknown[]): unknown {
  const rb = toyRunbook();
  return { ...rb, steps: change(rb.steps) };
}
