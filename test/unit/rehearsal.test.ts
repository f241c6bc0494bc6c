import { describe, expect, it } from 'vitest';
import { loadRehearsal, type Rehearsal, replayRehearsal } from '../support/rehearsal-fixture.js';
import { EXPECTATIONS, fixtureName } from '../support/scenarios.js';

// Command outputs recorded from the real lab scenarios (test/scripts/record-rehearsals.ts), replayed
// through the engine with no services: the seed incidents as test cases.
const load = loadRehearsal;
// The runbook named beside each replay is the one its fixture was recorded with.
const replay = (runbookId: string, fx: Rehearsal) => {
  expect(fx.runbook.id).toBe(runbookId);
  return replayRehearsal(fx);
};

describe('rehearsals of the seed incidents', () => {
  for (const e of EXPECTATIONS) {
    it(`${e.scenario} through ${e.runbook} → ${e.cause ?? e.status}`, () => {
      const { state, issued } = replay(e.runbook, load(fixtureName(e)));
      expect(state.status).toBe(e.status);
      expect(state.cause).toBe(e.cause);
      // Before anyone decides, only read-only diagnosis may have been sent to the target.
      const kinds = new Set(issued.flatMap((c) => (c.type === 'execute' ? [c.kind] : [])));
      expect([...kinds]).toEqual(['diagnose']);
      const approvals = Object.values(state.approvals);
      if (!e.approval) {
        expect(approvals).toEqual([]);
        return;
      }
      expect(approvals.map((a) => a.gateId)).toEqual([e.approval]);
      const commands = approvals[0]?.commands ?? [];
      expect(commands).toHaveLength(e.commands?.length ?? 0);
      for (const [i, re] of (e.commands ?? []).entries()) expect(commands[i]).toMatch(re);
    });
  }

  it('the evidence names the seed log lines and the uid against the owner', () => {
    const { state } = replay('redis-permissions', load('rdb-permission.redis-permissions.json'));
    const evidence = Object.values(state.steps).flatMap((s) => s.findings.flatMap((f) => f.evidence));
    expect(
      evidence.some((l) =>
        /Failed opening the temp RDB file temp-\d+\.rdb \(in server root dir \/data\) for saving: Permission denied/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(evidence).toContain('redis runs as 999:999');
    expect(evidence).toContain('rdb_last_bgsave_status:err');
    expect(evidence.some((l) => l.startsWith('1001 1001 755'))).toBe(true);
  });

  it('a Redis that reports / as its dir: the targets file wins, and without one nothing is proposed', () => {
    const withDirAt = (dataDir: string | undefined) => {
      const fx = load('rdb-permission.redis-permissions.json');
      const config = fx.results.config;
      const stat = fx.results['data-dir'];
      if (!config || !stat) throw new Error('fixture lacks config or data-dir');
      fx.results.config = { ...config, stdout: config.stdout.replace(/^dir\n\/data$/m, 'dir\n/') };
      fx.results['data-dir'] = { ...stat, stdout: '0 0 755 root root /\n' };
      const { dataDir: _configured, ...redis } = fx.target.redis;
      fx.target = { ...fx.target, redis: dataDir ? { ...redis, dataDir } : redis };
      return replay('redis-permissions', fx).state;
    };
    const configured = withDirAt('/data');
    const codes = Object.values(configured.steps).flatMap((r) => r.findings.map((f) => f.code));
    expect(codes).toContain('data-dir-differs');
    expect(configured.steps['data-dir']?.commands[0]).toMatch(/ \/data$/);

    const unconfigured = withDirAt(undefined);
    expect(unconfigured.steps['data-dir']?.commands[0]).toMatch(/ \/$/);
    expect(unconfigured.approvals).toEqual({});
    expect(unconfigured.status).toBe('escalated');
    expect(unconfigured.outcome?.summary).toMatch(/unsafe to act on/);
  });

  it('the card states the undo with the values found on the target', () => {
    const { state } = replay('redis-permissions', load('rdb-permission.redis-permissions.json'));
    expect(Object.values(state.approvals)[0]?.undo).toBe(
      'chown -R -h 1001:1001 /data/. (the owner it had before)',
    );
    const mem = replay('redis-connectivity', load('maxmemory.redis-connectivity.json'));
    expect(Object.values(mem.state.approvals)[0]?.undo).toBe(
      'redis-cli CONFIG SET maxmemory 2097152 (the limit before)',
    );
  });

  it('a container that exits at start because of the AOF dir is told apart from a running one', () => {
    const { state } = replay('redis-permissions', load('aof-permission.redis-permissions.json'));
    const codes = Object.values(state.steps).flatMap((s) => s.findings.map((f) => f.code));
    expect(codes).toEqual(
      expect.arrayContaining(['container-not-running', 'aof-permission-denied', 'owner-mismatch']),
    );
    expect(state.steps['info-persistence']?.status).toBe('skipped');
  });

  it('the SSH host scenario says Redis runs as a different user than the service should', () => {
    const { state } = replay('redis-permissions', load('service-user-mismatch.redis-permissions.json'));
    const f = Object.values(state.steps)
      .flatMap((s) => s.findings)
      .find((x) => x.code === 'service-user-mismatch');
    expect(f?.statement).toMatch(/runs as autobot, but the service is meant to run as redis/);
  });
});
