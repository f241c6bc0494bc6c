import { describe, expect, it } from 'vitest';
import { parseInspect } from '../../src/runbooks/analyzers/container-inspect.js';
import type { ExecResult, TargetView } from '../../src/runbooks/index.js';
import { targetsFileSchema } from '../../src/runbooks/index.js';
import { analyzeContainer } from '../../src/runbooks/library/common-steps.js';
import {
  countAction,
  parseCounts,
  queueCountsStep,
  verifyQueueMoves,
} from '../../src/runbooks/library/queue-steps.js';

// Seed 004 step 7: BullMQ queues named in the targets file, counted read-only with one EVAL each.
const res = (stdout: string, o: Partial<ExecResult> = {}): ExecResult => ({
  exitCode: 0,
  stdout,
  stderr: '',
  durationMs: 3,
  timedOut: false,
  unreachable: false,
  truncated: false,
  ...o,
});
const target: TargetView = {
  name: 't',
  kind: 'docker',
  redis: { container: 'r', host: 'r', port: 6379, hasPassword: false },
  clients: [],
  queues: { prefix: 'bull', names: ['shell-query'] },
};
const ctx = (facts = {}) => ({ target, facts, item: 'shell-query' });
const counts = (wait: number, active: number, completed: number, ttl: number) =>
  res(`${wait}\n${active}\n0\n0\n0\n1\n${completed}\n0\n${ttl}\n`);

describe('BullMQ queues', () => {
  it('the targets file names them; prefix bull by default; names checked', () => {
    const f = (queues: unknown) =>
      targetsFileSchema.safeParse({ targets: { t: { redis: { docker: { container: 'r' } }, queues } } });
    const ok = f({ names: ['shell-query'] });
    expect(ok.success && ok.data.targets.t?.queues).toEqual({ prefix: 'bull', names: ['shell-query'] });
    expect(f({ prefix: '{bull}', names: ['a.b_c-1'] }).success).toBe(true);
    for (const bad of [
      { names: [] },
      { names: ['a b'] },
      { names: ['a', 'a'] },
      { prefix: 'x y', names: ['a'] },
      { names: ['a:*'] },
    ])
      expect(f(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it('one read-only EVAL per queue, the keys as KEYS', () => {
    const a = countAction(ctx());
    expect(a?.kind === 'redis' && a.args.slice(2)).toEqual([
      '9',
      ...[
        'wait',
        'active',
        'paused',
        'prioritized',
        'delayed',
        'failed',
        'completed',
        'stalled',
        'stalled-check',
      ].map((p) => `bull:shell-query:${p}`),
    ]);
    const script = a?.kind === 'redis' ? (a.args[1] ?? '') : '';
    expect(script.match(/redis\.call\("(\w+)"/g)?.map((c) => c.slice(12, -1))).toEqual([
      'PTTL',
      'TYPE',
      'LLEN',
      'ZCARD',
      'SCARD',
    ]);
  });

  it('jobs waiting, none active, no stalled-check: no worker takes them', () => {
    const a = queueCountsStep.analyze(counts(5, 0, 0, -2), ctx());
    expect(a.findings.map((f) => f.code)).toEqual(['queue-not-moving']);
    expect(a.facts).toEqual({ 'queue.shell-query.waiting': 5, 'queue.shell-query.completed': 0 });
    expect(queueCountsStep.analyze(counts(5, 1, 0, 4000), ctx()).findings[0]?.code).toBe('queue-counts');
  });

  it('what is not the nine counts is unread, never zero', () => {
    for (const r of [
      res('ERR unknown command'),
      res('1\n2\n'),
      res('-1\n0\n0\n0\n0\n0\n0\n0\n-2\n'),
      res('5\n0\n0\n0\n0\n0\n0\n0\n-2\n', { truncated: true }),
    ])
      expect(parseCounts(r)).toBeUndefined();
    expect(queueCountsStep.analyze(res('NOPERM', { exitCode: 1 }), ctx()).unread).toBeTruthy();
  });

  it('after a repair: moving means fewer waiting or more completed than the diagnosis counted', () => {
    const before = { 'queue.shell-query.waiting': 5, 'queue.shell-query.completed': 0 };
    expect(verifyQueueMoves.check(counts(2, 1, 3, 4000), ctx(before)).passed).toBe(true);
    expect(verifyQueueMoves.check(counts(5, 0, 0, -2), ctx(before))).toMatchObject({
      passed: false,
      pending: true,
    });
    expect(
      verifyQueueMoves.check(counts(0, 0, 0, -2), ctx({ ...before, 'queue.shell-query.waiting': 0 })).passed,
    ).toBe(true);
    expect(verifyQueueMoves.check(counts(5, 0, 0, -2), ctx()).unread).toBeTruthy();
  });
});

describe("Redis's port on the Docker host (seed 000)", () => {
  const inspect = (ports: unknown, bindings: unknown = ports) =>
    JSON.stringify({
      State: { Status: 'running', Running: true, ExitCode: 0 },
      NetworkSettings: { Ports: ports },
      HostConfig: { PortBindings: bindings },
    });
  const publishedOn = (stdout: string, port: number) =>
    parseInspect(stdout)?.published?.[`${port}/tcp`] ?? [];
  it('not published: information, by design, never a fault', () => {
    const a = analyzeContainer(res(inspect({}, {})), { target, facts: {} });
    const said = a.findings.find((f) => f.code === 'port-not-published');
    expect(said?.severity).toBe('info');
    expect(said?.statement).toMatch(/Connection refused", by design/);
    expect(publishedOn(inspect({ '6379/tcp': null }, null), 6379)).toEqual([]);
  });
  it('published: where', () => {
    expect(publishedOn(inspect({ '6379/tcp': [{ HostIp: '', HostPort: '6380' }] }), 6379)).toEqual([
      '0.0.0.0:6380',
    ]);
    expect(publishedOn(inspect({ '6380/tcp': [{ HostIp: '127.0.0.1', HostPort: '6380' }] }), 6379)).toEqual(
      [],
    );
  });
  it('an inspect with no network settings says nothing of ports; a published port is not said unpublished', () => {
    const bare = JSON.stringify({ State: { Status: 'running', Running: true, ExitCode: 0 } });
    expect(parseInspect(bare)?.published).toBeUndefined();
    expect(analyzeContainer(res(bare), { target, facts: {} }).findings.map((f) => f.code)).not.toContain(
      'port-not-published',
    );
    const published = inspect({ '6379/tcp': [{ HostIp: '127.0.0.1', HostPort: '6379' }] });
    expect(analyzeContainer(res(published), { target, facts: {} }).findings.map((f) => f.code)).not.toContain(
      'port-not-published',
    );
  });
});
