import { randomBytes } from 'node:crypto';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TargetExecutor } from '../../src/executors/target-executor.js';
import type { Action } from '../../src/runbooks/action.js';
import type { ExecResult } from '../../src/runbooks/result.js';
import { targetConfigSchema } from '../../src/runbooks/target.js';
import {
  containerCommandLines,
  countingExecs,
  DOCKER_HOST,
  dockerFromEnv,
  LAB_IMAGE,
  uniquePrefix,
} from './docker-lab.js';

// Read-only checks into one container share execs; every result must read as if it ran alone.
const skip = !DOCKER_HOST;

const redis = { at: 'redis' } as const;
const checks: Action[] = [
  { kind: 'exec', place: redis, argv: ['id', '-u'] },
  { kind: 'exec', place: redis, argv: ['stat', '-c', '%U %a', '/data'] },
  { kind: 'exec', place: redis, argv: ['printf', '%s', 'no newline'] },
  { kind: 'exec', place: redis, argv: ['sh', '-c', 'echo out; echo "err $1" >&2; exit 3', 'sh', "it's"] },
  { kind: 'exec', place: redis, argv: ['no-such-program'] },
  { kind: 'redis', place: redis, args: ['INFO', 'persistence'] },
  { kind: 'redis', place: redis, args: ['CONFIG', 'GET', 'dir'] },
  { kind: 'redis', place: redis, args: ['PING'] },
];

// What must match between a batched and a lone run (timings and INFO's clock fields aside).
const shape = (r: ExecResult) => ({
  exitCode: r.exitCode,
  stdout: r.stdout.replace(/^(rdb_last_bgsave_time_sec|aof_last_rewrite_time_sec|.*_ago):.*$/gm, '$1'),
  stderr: r.stderr,
  timedOut: r.timedOut,
  unreachable: r.unreachable,
  truncated: r.truncated,
});

describe.skipIf(skip)('batched execs into one container', () => {
  let docker: Dockerode;
  let name: string;
  const cmds: string[][] = [];
  const t = { timeoutMs: 20_000 };
  const executor = () => {
    // Counts what the executor asks the engine to exec, on a fresh executor each time.
    const counting = countingExecs(docker, (cmd) => cmds.push(cmd));
    const target = targetConfigSchema.parse({
      redis: { docker: { container: name }, passwordEnv: 'PW' },
    });
    cmds.length = 0;
    return new TargetExecutor('batch', target, { docker: counting, secretOf: () => secret });
  };
  const secret = `Pw-${randomBytes(6).toString('hex')}`;
  const batches = () => cmds.filter((c) => c[0] === 'sh' && c[1] === '-c' && c[3] === 'sh').length;

  beforeAll(async () => {
    docker = dockerFromEnv();
    name = `${uniquePrefix()}redis`;
    const c = await docker.createContainer({
      name,
      Image: LAB_IMAGE,
      Cmd: ['redis-server', '--save', '', '--requirepass', secret],
    });
    await c.start();
  });
  afterAll(async () => {
    await docker
      ?.getContainer(name)
      .remove({ force: true })
      .catch(() => {});
  });

  it('reads the same as each check alone, in fewer execs', async () => {
    const solo = executor();
    const alone: ExecResult[] = [];
    for (const a of checks) alone.push(await solo.run(a, { ...t, exact: true }));
    expect(batches()).toBe(0);
    const batched = executor();
    const together = await Promise.all(checks.map((a) => batched.run(a, t)));
    expect(together.map(shape)).toEqual(alone.map(shape));
    expect(together[4]?.stderr).toMatch(/no-such-program/);
    expect(together[6]?.stdout).toBe('dir\n/data\n');
    // One probe, the first check alone, then the plain execs and the redis-cli ones (their
    // environment differs) in one exec each.
    expect(batches()).toBeGreaterThan(0);
    expect(cmds.length).toBeLessThanOrEqual(4);
    // The password travels in the exec's environment, never in the batch's argv.
    expect(cmds.flat().join(' ')).not.toContain(secret);
  });

  it('lets the checks queued behind a hung command move on, and stops the hung one', async () => {
    const ex = executor();
    const order: string[] = [];
    const run = (label: string, argv: string[], timeoutMs: number) =>
      ex.run({ kind: 'exec', place: redis, argv }, { timeoutMs }).then((r) => {
        order.push(label);
        return r;
      });
    const [first, hung, a, b] = await Promise.all([
      run('first', ['echo', 'first'], 20_000),
      run('hung', ['sh', '-c', 'echo partial; sleep 37'], 4_000),
      run('a', ['echo', 'a'], 20_000),
      run('b', ['echo', 'b'], 20_000),
    ]);
    expect([first?.stdout, a?.stdout, b?.stdout]).toEqual(['first\n', 'a\n', 'b\n']);
    // What it printed before it hung is kept, as with an exec of its own.
    expect(hung).toMatchObject({ timedOut: true, exitCode: null, stdout: 'partial\n' });
    expect(order.at(-1)).toBe('hung');
    expect(batches()).toBeGreaterThan(0);
    const left = (await containerCommandLines(docker, name)).filter((l) => l.includes('sleep 37'));
    expect(left).toEqual([]);
  });

  it('runs repairs alone, exactly as their card shows', async () => {
    const ex = executor();
    const runs = await Promise.all(
      [1, 2, 3].map((i) =>
        ex.run({ kind: 'exec', place: redis, argv: ['echo', String(i)] }, { ...t, exact: true }),
      ),
    );
    expect(runs.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n']);
    expect(batches()).toBe(0);
  });

  it('says each check could not reach a container that is gone', async () => {
    const target = targetConfigSchema.parse({ redis: { docker: { container: `${name}-absent` } } });
    const ex = new TargetExecutor('gone', target, { docker, secretOf: () => undefined });
    const runs = await Promise.all(checks.slice(0, 4).map((a) => ex.run(a, t)));
    for (const r of runs) expect(r).toMatchObject({ unreachable: true, exitCode: null });
  });
});
