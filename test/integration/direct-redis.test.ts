import { type LabScenario, labDocker, type ScenarioName, setupScenario } from '@runbook-bot/lab';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { TargetExecutor } from '../../src/executors/target-executor.js';
import type { Action } from '../../src/runbooks/action.js';
import type { RunState } from '../../src/runbooks/index.js';
import type { ExecResult } from '../../src/runbooks/result.js';
import { labEnv, runAgainst } from '../support/lab-run.js';

// Redis reads over the worker's own connection must read exactly as redis-cli in an exec prints
// them (the analyzers and the evidence are the same), and anything the connection cannot answer
// cleanly must come out as redis-cli's own words. Both ways run here against the same real Redis.

interface Pair {
  scenario: LabScenario;
  /** redis.direct: true */
  direct: TargetExecutor;
  /** The same target, exec only. */
  exec: TargetExecutor;
}

let current: Pair | undefined;
afterEach(async () => {
  await current?.direct.close();
  await current?.exec.close();
  await current?.scenario.teardown();
  current = undefined;
});

async function both(name: ScenarioName): Promise<Pair> {
  const env = labEnv();
  const docker = labDocker(env);
  const scenario = await setupScenario(name, { env, docker, direct: true });
  expect(scenario.target.redis.direct).toBe(true);
  const { direct: _d, ...execOnly } = scenario.target.redis;
  const secretOf = (n: string) => scenario.env[n];
  current = {
    scenario,
    direct: new TargetExecutor(scenario.targetName, scenario.target, { docker, secretOf }),
    exec: new TargetExecutor(
      scenario.targetName,
      { ...scenario.target, redis: execOnly },
      { docker, secretOf },
    ),
  };
  return current;
}

const read = (args: string[]): Action => ({ kind: 'redis', place: { at: 'redis' }, args });
const run = (ex: TargetExecutor, args: string[], timeoutMs = 15_000) => ex.run(read(args), { timeoutMs });

// What varies between two reads of a live server (counters, our own connection) is left out; the
// names, their order and the line endings are what an analyzer depends on.
const shape = (text: string) =>
  text.split('\n').map((l) => l.replace(/^([\w-]+):.*?(\r?)$/, '$1:…$2').replace(/=[^ \r]*/g, '='));

const STABLE = [['PING'], ['ACL', 'WHOAMI'], ['ACL', 'USERS'], ['CONFIG', 'GET', 'maxmemory*'], ['DBSIZE']];
const LIVE = [['INFO'], ['INFO', 'persistence'], ['INFO', 'clients'], ['CLIENT', 'LIST']];

function sameAsExec(d: ExecResult, e: ExecResult) {
  expect(d.via).toBeUndefined();
  expect([d.exitCode, d.stdout, d.stderr, d.unreachable]).toEqual([
    e.exitCode,
    e.stdout,
    e.stderr,
    e.unreachable,
  ]);
}

describe('Redis reads over a direct connection', () => {
  it.each(['healthy', 'acl-only'] as const)('%s: each read prints as redis-cli prints it', async (name) => {
    const { direct, exec } = await both(name);
    for (const args of [...STABLE, ...LIVE]) {
      const d = await run(direct, args);
      const e = await run(exec, args);
      expect(d.via, args.join(' ')).toMatch(
        /^redis-cli -h \S+ -p 6379 .*\(from the worker, direct connection\)$/,
      );
      expect(e.via).toBeUndefined();
      expect([d.exitCode, d.stderr], args.join(' ')).toEqual([e.exitCode, e.stderr]);
      if (STABLE.includes(args)) expect(d.stdout, args.join(' ')).toBe(e.stdout);
      else expect(shape(d.stdout), args.join(' ')).toEqual(shape(e.stdout));
    }
    // A write is never sent over it, nor a read it has no rendering for.
    expect((await run(direct, ['BGSAVE'])).via).toBeUndefined();
    expect((await run(direct, ['--scan', '--pattern', 'x*'])).via).toBeUndefined();
  });

  it('each read is a new connection: once the client table is full, PING says so, as redis-cli does', async () => {
    const { scenario, direct, exec } = await both('healthy');
    const first = await run(direct, ['PING']);
    const host = /-h (\S+)/.exec(first.via ?? '')?.[1];
    if (!host) throw new Error(`not read directly: ${JSON.stringify(first)}`);
    // Someone else's connection, then the table set to exactly what is connected besides our read.
    const holder = new Redis({ host, port: 6379, lazyConnect: true });
    holder.on('error', () => undefined);
    try {
      await holder.connect();
      const info = (await run(direct, ['INFO', 'clients'])).stdout;
      const connected = Number(/connected_clients:(\d+)/.exec(info)?.[1]);
      await scenario.redisCli(['CONFIG', 'SET', 'maxclients', String(connected - 1)]);
      const d = await run(direct, ['PING']);
      sameAsExec(d, await run(exec, ['PING']));
      expect(`${d.stdout}${d.stderr}`).toMatch(/max number of clients reached/);
    } finally {
      holder.disconnect();
    }
  });

  it('a repair runs exactly the command its card showed, never over the direct connection', async () => {
    const { direct } = await both('healthy');
    const r = await direct.run(read(['PING']), { timeoutMs: 15_000, exact: true });
    expect(r.stdout.trim()).toBe('PONG');
    expect(r.via).toBeUndefined();
  });

  it.each([
    ['auth-refused', 'a refused AUTH'],
    ['maxclients', 'no free client slot'],
    ['container-stopped', 'a stopped container (no address)'],
  ] as const)('%s: %s is read by redis-cli in an exec, in its own words', async (name, _what) => {
    const { direct, exec } = await both(name);
    for (const args of [['PING'], ['INFO', 'persistence']])
      sameAsExec(await run(direct, args), await run(exec, args));
  });

  it('redis-frozen: a connection that never answers costs a third of the deadline, then redis-cli times out as before', async () => {
    const { direct, exec } = await both('redis-frozen');
    const t0 = Date.now();
    const d = await run(direct, ['PING'], 3000);
    const took = Date.now() - t0;
    const e = await run(exec, ['PING'], 3000);
    expect(d.via).toBeUndefined();
    expect([d.timedOut, d.exitCode, d.stdout]).toEqual([e.timedOut, e.exitCode, e.stdout]);
    expect(d.timedOut).toBe(true);
    // Within the one deadline (and its kill), not two of them.
    expect(took).toBeLessThan(2 * 3000);
  });
});

// The whole diagnosis, both ways, on the same fault: the same findings, the same conclusion.
const findings = (s: RunState) =>
  Object.values(s.steps)
    .filter((x) => x.kind === 'diagnose')
    .flatMap((x) => x.findings.map((f) => `${x.key} ${f.severity} ${f.code}`))
    .sort();

describe('a diagnosis over the direct connection', () => {
  // acl-not-loaded: the configured user does not exist, so its AUTH fails and every read is redis-cli's.
  it.each([
    ['rdb-permission', 'redis-permissions', true],
    ['maxmemory', 'redis-connectivity', true],
    ['acl-not-loaded', 'redis-connectivity', false],
  ] as const)('%s / %s finds the same as by exec alone', async (name, runbook, answered) => {
    const { scenario, direct, exec } = await both(name);
    const byExec = await runAgainst(scenario, exec, runbook);
    const byDirect = await runAgainst(scenario, direct, runbook);
    expect(findings(byDirect)).toEqual(findings(byExec));
    expect([byDirect.status, byDirect.cause, byDirect.outcome?.summary]).toEqual([
      byExec.status,
      byExec.cause,
      byExec.outcome?.summary,
    ]);
    // The evidence names how each read really ran.
    const commands = Object.values(byDirect.steps).flatMap((x) => x.commands);
    expect(commands.some((c) => c.endsWith('(from the worker, direct connection)'))).toBe(answered);
    expect(commands.some((c) => c.startsWith('docker exec'))).toBe(true);
  });
});
