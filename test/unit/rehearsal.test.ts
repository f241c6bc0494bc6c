import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineCommand, ExecResult, TargetView, Transition } from '../../src/runbooks/index.js';
import { advance, execResultSchema, start, targetViewSchema } from '../../src/runbooks/index.js';
import { builtinRunbook } from '../../src/runbooks/library/index.js';
import { EXPECTATIONS, fixtureName } from '../support/scenarios.js';

// Command outputs recorded from the real lab scenarios (test/scripts/record-rehearsals.ts), replayed
// through the engine with no services: the seed incidents as test cases.
interface Fixture {
  target: TargetView;
  results: Record<string, ExecResult>;
}

function load(name: string): Fixture {
  const raw = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/rehearsals', name), 'utf8'));
  return {
    target: targetViewSchema.parse(raw.target),
    results: Object.fromEntries(Object.entries(raw.results).map(([k, v]) => [k, execResultSchema.parse(v)])),
  };
}

function replay(runbookId: string, fx: Fixture): Transition & { issued: EngineCommand[] } {
  const rb = builtinRunbook(runbookId);
  if (!rb) throw new Error(runbookId);
  let t = start(
    rb,
    { runId: 'INC-REHEARSAL', target: fx.target, startedBy: 'U_ONCALL', approvalTtlMs: 900_000 },
    0,
  );
  const issued: EngineCommand[] = [...t.commands];
  const queue = [...t.commands];
  for (let at = 1; queue.length > 0; at++) {
    const cmd = queue.shift();
    if (cmd?.type !== 'execute') continue;
    const recorded = fx.results[cmd.stepKey];
    if (!recorded) throw new Error(`no recorded output for step ${cmd.stepKey}`);
    t = advance(
      t.state,
      { type: 'step-result', stepKey: cmd.stepKey, attempt: cmd.attempt, results: [recorded] },
      at,
      builtinRunbook,
    );
    issued.push(...t.commands);
    queue.push(...t.commands);
  }
  return { ...t, issued };
}

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
      'chown -R 1001:1001 /data (the owner it had before)',
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
