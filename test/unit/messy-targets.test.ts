import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExecResult, ExecuteCommand, Redactor, RunState, TargetView } from '../../src/runbooks/index.js';
import { execResultSchema, targetViewSchema } from '../../src/runbooks/index.js';
import { builtinRunbook } from '../../src/runbooks/library/index.js';
import { redact } from '../../src/runbooks/redact.js';
import { engineDriver } from '../support/engine-driver.js';
import { res } from '../support/toy-runbook.js';

// Recorded real outputs (test/fixtures/rehearsals), bent the way messy targets bend them: a cut
// output, a step that times out, a reply that is not PONG. No conclusion may outrun its reading.
interface Fixture {
  target: TargetView;
  results: Record<string, ExecResult>;
}
const load = (name: string): Fixture => {
  const raw = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/rehearsals', name), 'utf8'));
  return {
    target: targetViewSchema.parse(raw.target),
    results: Object.fromEntries(Object.entries(raw.results).map(([k, v]) => [k, execResultSchema.parse(v)])),
  };
};
const timedOut = res('', { exitCode: null, timedOut: true, durationMs: 15_000 });
const unreachable = res('', {
  exitCode: null,
  unreachable: true,
  error: 'connect ECONNREFUSED 127.0.0.1:2299',
});

type Answer = (stepId: string, round: number, key: string) => ExecResult | undefined;
interface DriveOpts {
  approve?: boolean;
  repair?: (c: ExecuteCommand) => ExecResult[];
  redactor?: Redactor;
}

/** Runs a real runbook over a fixture; `answer` overrides a step's output, later rounds fall back to it. */
function drive(
  runbookId: string,
  fx: Fixture,
  answer: Answer = () => undefined,
  o: DriveOpts = {},
): RunState {
  const rb = builtinRunbook(runbookId);
  if (!rb) throw new Error(runbookId);
  const { repair } = o;
  return engineDriver(rb, {
    target: fx.target,
    answer: (id, round, key) => answer(id, round, key) ?? fx.results[key],
    autoApprove: o.approve === true,
    ...(repair
      ? {
          repair: (c: ExecuteCommand) => ({
            type: 'step-result' as const,
            stepKey: c.stepKey,
            attempt: c.attempt,
            results: repair(c),
          }),
        }
      : {}),
    ...(o.redactor ? { redactor: o.redactor } : {}),
  }).run().state;
}

const healthy = load('healthy.redis-permissions.json');
const healthyConn = load('healthy.redis-connectivity.json');
const rdb = load('rdb-permission.redis-permissions.json');
const aof = load('aof-permission.redis-permissions.json');

describe('no healthy conclusion past a check that did not look', () => {
  it('an exited container whose last start logged nothing: handed over to start it, never healthy', () => {
    const s = drive('redis-permissions', aof, (id) =>
      id === 'logs' ? res('1:C 01 Dec 2026 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo\n') : undefined,
    );
    expect(s.status).toBe('handed-over');
    expect(s.cause).toBe('container-stopped');
  });

  it('logs cut at the size limit lose their newest lines: unread, and no start is proposed on them', () => {
    const cut = res(`${'x'.repeat(100)}\n`, { truncated: true });
    const s = drive('redis-permissions', healthy, (id) => (id === 'logs' ? cut : undefined));
    expect(s.status).toBe('inconclusive');
    expect(s.outcome?.summary).toMatch(/Recent Redis logs: the output was cut/);
  });

  it.each(['info-persistence', 'config', 'data-dir', 'disk', 'process-owner'])(
    'a cut %s is unread, never healthy',
    (step) => {
      const s = drive('redis-permissions', healthy, (id, _r, key) =>
        id === step ? { ...(healthy.results[key] as ExecResult), truncated: true } : undefined,
      );
      expect(s.status).toBe('inconclusive');
    },
  );

  it.each([
    ['empty', ''],
    ['garbage', 'garbage\n'],
    ['(nil)', '(nil)\n'],
  ])('PING that exits 0 with %s output is not a PONG', (_n, out) => {
    expect(drive('redis-permissions', healthy, (id) => (id === 'ping' ? res(out) : undefined)).status).toBe(
      'inconclusive',
    );
    expect(
      drive('redis-connectivity', healthyConn, (id) => (id === 'client-ping' ? res(out) : undefined)).status,
    ).toBe('inconclusive');
  });

  it('PING answered with a Redis error is a fault, not health', () => {
    const s = drive('redis-permissions', healthy, (id) =>
      id === 'ping' ? res('ERR something odd\n', { exitCode: 1 }) : undefined,
    );
    expect(s.status).toBe('escalated');
    expect(s.cause).toBe('redis-down');
  });

  it('an inspect without a state is unread: no docker start on a guess', () => {
    const s = drive('redis-connectivity', healthyConn, (id) =>
      id === 'container' ? res('[{"Id":"x","Name":"/r"}]') : undefined,
    );
    expect(s.approvals).toEqual({});
    expect(s.status).not.toBe('no-fault');
  });

  it('the container inspect timing out leaves "running" unknown: no chown-and-start for a Redis that answers', () => {
    const s = drive('redis-permissions', rdb, (id) =>
      id === 'container'
        ? timedOut
        : id === 'image-user'
          ? res('uid=999(redis) gid=999(redis) groups=999(redis)\n')
          : undefined,
    );
    expect(Object.values(s.approvals).map((a) => a.gateId)).not.toContain('approve-chown-stopped');
  });
});

describe('one cause once, and what a look found, only', () => {
  it('the seed incident lists no alternative causes it does not have', () => {
    const s = drive('redis-permissions', rdb);
    const a = Object.values(s.approvals)[0];
    expect(a?.cause).toBe('owner-mismatch');
    expect(a?.alsoFound).toBeUndefined();
  });

  it('a client on another network that gets PONG anyway needs no network repair', () => {
    const wrong = load('wrong-network.redis-connectivity.json');
    const s = drive('redis-connectivity', wrong, (id) => (id === 'client-ping' ? res('PONG\n') : undefined));
    expect(s.approvals).toEqual({});
  });
});

/** What the verify steps read after a repair that worked. */
const VERIFIED: Record<string, ExecResult> = {
  'verify-bgsave': res('Background saving started\n'),
  'verify-save-status': res('rdb_bgsave_in_progress:0\nrdb_last_bgsave_status:ok\n'),
  'verify-write': res('OK\n'),
  'verify-ping': res('PONG\n'),
  'verify-running': res('[{"State":{"Status":"running","Running":true}}]'),
};

describe('after a repair', () => {
  const fixedAfter = (id: string, round: number, key: string): ExecResult | undefined => {
    if (round === 1) return undefined;
    if (id === 'data-dir') return res('999 999 755 redis redis /data\n');
    if (id === 'info-persistence')
      return res(
        (healthy.results[key]?.stdout ?? '').replace(
          'rdb_last_bgsave_status:err',
          'rdb_last_bgsave_status:ok',
        ),
      );
    if (id === 'ping') return res('PONG\n');
    return healthy.results[key];
  };
  const verifyOk = (c: ExecuteCommand) => c.actions.map(() => res(''));

  it('a verification that cannot be read escalates: no fallback offered on a blind check', () => {
    const s = drive('redis-permissions', rdb, (id) => (id.startsWith('verify-') ? unreachable : undefined), {
      approve: true,
      repair: verifyOk,
    });
    expect(s.status).toBe('escalated');
    expect(s.outcome?.summary).toMatch(/could not be verified/);
    expect(Object.values(s.approvals).map((a) => a.gateId)).toEqual(['approve-chown-running']);
  });

  it('the second look cannot read the Redis inspect: stale facts from before the repair are not used', () => {
    const wrong = load('wrong-network.redis-connectivity.json');
    const s = drive(
      'redis-connectivity',
      wrong,
      (id, round) =>
        id === 'verify-client-ping'
          ? res('PONG\n')
          : round === 2 && id === 'container'
            ? timedOut
            : round === 2 && id === 'client-ping'
              ? res('PONG\n')
              : undefined,
      { approve: true },
    );
    expect(s.status).toBe('inconclusive');
    expect(s.facts['redis.networks']).toBeUndefined();
  });

  it('an inconclusive ending after a repair says nothing further was changed, not nothing', () => {
    const s = drive(
      'redis-permissions',
      rdb,
      (id, round, key) =>
        VERIFIED[id] ?? (round === 2 && id === 'disk' ? timedOut : fixedAfter(id, round, key)),
      { approve: true },
    );
    expect(s.status).toBe('inconclusive');
    expect(s.outcome?.summary).toMatch(/Nothing further was changed/);
    expect(s.causesFound).toEqual([]);
  });

  it('the output of a repair is stored redacted', () => {
    const secret = 'Hunter2-Sec';
    const s = drive(
      'redis-permissions',
      rdb,
      (id, round, key) => VERIFIED[id] ?? fixedAfter(id, round, key),
      {
        approve: true,
        redactor: (t, o) => redact(t, [secret], o),
        repair: (c) => c.actions.map(() => res(`changed with ${secret}\n`)),
      },
    );
    expect(JSON.stringify(s)).not.toContain(secret);
  });
});

describe('second review: messy targets not in the lab', () => {
  const conn = load('healthy.redis-connectivity.json');
  const twoClients: Fixture = {
    target: { ...conn.target, clients: [...conn.target.clients, { name: 'worker', container: 'w' }] },
    results: conn.results,
  };
  const inspectOn = (net: string) =>
    res(
      JSON.stringify([
        { State: { Running: true, Status: 'running' }, NetworkSettings: { Networks: { [net]: {} } } },
      ]),
    );

  it('each repair verifies on its own: a fallback is never judged by the check of the repair before it', () => {
    const s = drive(
      'redis-permissions',
      rdb,
      (id) =>
        id === 'verify-write'
          ? res('MISCONF Redis is configured to save RDB snapshots\n', { exitCode: 1 })
          : VERIFIED[id],
      { approve: true },
    );
    const writes = Object.values(s.steps).filter((r) => r.stepId === 'verify-write');
    expect(writes.map((r) => r.round)).toEqual([1, 2]);
    expect(
      Object.values(s.steps)
        .filter((r) => r.kind === 'repair')
        .map((r) => r.verifyRound),
    ).toEqual([1, 2]);
  });

  it('a replica that lost its master answers PING, and is still no healthy Redis', () => {
    const s = drive('redis-connectivity', conn, (id) =>
      id === 'info-replication'
        ? res('# Replication\nrole:slave\nmaster_link_status:down\nmaster_link_down_since_seconds:42\n')
        : undefined,
    );
    expect(s.status).toBe('escalated');
    expect(s.cause).toBe('redis-down');
  });

  it.each([
    ["NOPERM this user has no permissions to run the 'set' command", 'verify-write'],
    ["READONLY You can't write against a read only replica.", 'verify-write'],
    ["NOPERM this user has no permissions to run the 'bgsave' command", 'verify-bgsave'],
  ])('a verification refused (%s) cannot be read: escalated, no fallback', (line, step) => {
    const s = drive(
      'redis-permissions',
      rdb,
      (id) => (id === step ? res(`${line}\n`, { exitCode: 1 }) : VERIFIED[id]),
      { approve: true },
    );
    expect(s.status).toBe('escalated');
    expect(s.outcome?.summary).toMatch(/could not be verified/);
    expect(Object.values(s.approvals).map((a) => a.gateId)).toEqual(['approve-chown-running']);
  });

  it('with two clients, the network is connected only for the one that cannot reach Redis', () => {
    // worker is on another network but reaches Redis; app shares the network and cannot resolve it.
    const s = drive('redis-connectivity', twoClients, (_id, _r, key) => {
      if (key === 'client-ping@worker') return res('PONG\n');
      if (key === 'client-ping@app')
        return res('', {
          exitCode: 1,
          stderr: 'Could not connect to Redis at r:6379: Name or service not known',
        });
      if (key === 'client-network@worker') return inspectOn('elsewhere');
      if (key === 'client-network@app') return conn.results['client-network@app'];
      return undefined;
    });
    expect(s.approvals).toEqual({});
    expect(s.cause).toBe('client-unreachable');
  });

  it('the client holding connections is named only once every client was counted', () => {
    const mc = load('maxclients.redis-connectivity.json');
    const two: Fixture = {
      target: { ...mc.target, clients: [...mc.target.clients, { name: 'worker', container: 'w' }] },
      results: mc.results,
    };
    const s = drive('redis-connectivity', two, (_id, _r, key) =>
      key === 'client-connections@worker'
        ? res('', { exitCode: 127, stderr: 'sh: netstat: not found' })
        : key.endsWith('@worker')
          ? mc.results[key.replace('@worker', '@app')]
          : undefined,
    );
    expect(Object.values(s.approvals).map((a) => a.gateId)).not.toContain('approve-restart-holder');
  });

  it('CONFIG GET * (one pattern, every Redis version) is read for the four settings', () => {
    const all =
      'appendfsync\neverysec\ndir\n/data\nappendonly\nno\nsave\n3600 1\nstop-writes-on-bgsave-error\nyes\n';
    const s = drive('redis-permissions', healthy, (id) => (id === 'config' ? res(all) : undefined));
    expect(s.status).toBe('no-fault');
    expect(s.facts['redis.dir']).toBe('/data');
  });

  it('an exited container with empty console logs: why it stopped is unknown, so no start', () => {
    const stopped = load('container-stopped.redis-connectivity.json');
    const s = drive('redis-connectivity', stopped, (id) => (id === 'logs' ? res('') : undefined));
    expect(s.approvals).toEqual({});
    expect(s.status).toBe('escalated');
  });

  it('a target with no clients can be healthy: per-client checks do not apply to its shape', () => {
    const s = drive('redis-connectivity', { ...conn, target: { ...conn.target, clients: [] } });
    expect(s.status).toBe('no-fault');
  });

  it('df without inode support: the other sections still read', () => {
    const disk = healthy.results.disk as ExecResult;
    const noInodes = {
      ...disk,
      stdout: disk.stdout.replace(/---inodes---\n[\s\S]*?---mounts---/, '---inodes---\n---mounts---'),
    };
    expect(drive('redis-permissions', healthy, (id) => (id === 'disk' ? noInodes : undefined)).status).toBe(
      'no-fault',
    );
  });
});
