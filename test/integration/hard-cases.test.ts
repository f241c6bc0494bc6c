import type { LabScenario, ScenarioName } from '@runbook-bot/lab';
import { afterEach, describe, expect, it } from 'vitest';
import type { TargetExecutor } from '../../src/executors/target-executor.js';
import type { RunState } from '../../src/runbooks/index.js';
import { bringUp, runAgainst } from '../support/lab-run.js';

// The messy systems an on-call engineer meets, built for real and diagnosed through the real
// executors. None may end healthy unless it is; what could not be read is said, with why.
const approveAll = () => ({ decision: 'approve' as const, by: 'U_APPROVER' });

interface Up {
  scenario: LabScenario;
  executor: TargetExecutor;
}
let up: Up | undefined;
afterEach(async () => {
  await up?.executor.close();
  await up?.scenario.teardown();
  up = undefined;
});

async function bring(name: ScenarioName): Promise<Up> {
  up = await bringUp(name);
  return up;
}

const conclude = (u: Up, runbook: string, opts: Parameters<typeof runAgainst>[3] = {}) =>
  runAgainst(u.scenario, u.executor, runbook, opts);

const cli = async (u: Up, args: string[], from?: 'client') => {
  const out = await u.scenario.redisCli(args, from ? { from } : {});
  return `${out.stdout}${out.stderr}`.trim();
};
const repairs = (s: RunState) => Object.values(s.steps).filter((r) => r.kind === 'repair');
const findings = (s: RunState) => Object.values(s.steps).flatMap((r) => r.findings);

async function persistsAgain(u: Up) {
  expect(await cli(u, ['BGSAVE'])).toMatch(/Background saving started|already in progress/);
  let info = '';
  for (let i = 0; i < 30 && !/rdb_bgsave_in_progress:0/.test(info); i++) {
    await new Promise((r) => setTimeout(r, 200));
    info = await cli(u, ['INFO', 'persistence']);
  }
  expect(info).toMatch(/rdb_last_bgsave_status:ok/);
}

describe('unreachable targets: could not diagnose, never healthy', () => {
  it('missing-container: the container does not exist, said by both runbooks; nothing proposed', async () => {
    const u = await bring('missing-container');
    for (const rb of ['redis-permissions', 'redis-connectivity']) {
      const s = await conclude(u, rb);
      expect(s.status).toBe('escalated');
      expect(s.cause).toBe('container-missing');
      expect(s.approvals).toEqual({});
    }
  });

  it.each([
    ['ssh-refused', /ECONNREFUSED|refused/i],
    ['ssh-silent', /timed out|timeout/i],
    ['host-key-mismatch', /host key mismatch.*man in the middle/i],
    ['ssh-missing-key', /private key/i],
  ] as const)('%s: inconclusive, naming why nothing could be read', async (name, why) => {
    const u = await bring(name);
    const s = await conclude(u, 'redis-permissions');
    expect(s.status).toBe('inconclusive');
    expect(s.outcome?.summary).toMatch(/^Could not diagnose/);
    expect(s.outcome?.summary).toMatch(why);
    expect(s.approvals).toEqual({});
    expect(repairs(s)).toEqual([]);
  });
});

describe('Redis that does not answer comes before any network theory', () => {
  it('redis-frozen: Redis does not answer on its own host, in both runbooks', async () => {
    const u = await bring('redis-frozen');
    for (const rb of ['redis-connectivity', 'redis-permissions']) {
      const s = await conclude(u, rb);
      expect(s.status).toBe('escalated');
      expect(s.cause).toBe('redis-unresponsive');
      expect(s.approvals).toEqual({});
    }
  });
});

describe('healthy systems that look sick', () => {
  it('stale-logs-healthy: an old Permission denied line is history, not a cause', async () => {
    const u = await bring('stale-logs-healthy');
    for (const rb of ['redis-permissions', 'redis-connectivity']) {
      const s = await conclude(u, rb);
      expect(s.status).toBe('no-fault');
      expect(s.approvals).toEqual({});
      expect(
        findings(s).some((f) => f.code === 'log-history' && /Permission denied/.test(f.evidence.join('\n'))),
      ).toBe(true);
    }
  });

  it('persistence-off-root-dir: the dir is not writable but nothing fails; no chown proposed, the latent fault said', async () => {
    const u = await bring('persistence-off-root-dir');
    const s = await conclude(u, 'redis-permissions');
    expect(s.status).toBe('no-fault');
    expect(s.approvals).toEqual({});
    expect(s.outcome?.summary).toMatch(/not writable by the user Redis runs as/);
  });

  it('group-writable-dir: Redis writes through its supplementary group; healthy', async () => {
    const u = await bring('group-writable-dir');
    const s = await conclude(u, 'redis-permissions');
    expect(s.status).toBe('no-fault');
    expect(findings(s).map((f) => f.code)).toContain('data-dir-ok');
    expect(s.approvals).toEqual({});
  });

  it('client-no-cli: the client cannot run redis-cli, so its reach is unread: inconclusive', async () => {
    const u = await bring('client-no-cli');
    const s = await conclude(u, 'redis-connectivity');
    expect(s.status).toBe('inconclusive');
    expect(s.outcome?.summary).toMatch(/PING from the client.*not installed/);
  });
});

describe('an exited container: its last start read before any start', () => {
  it('aof-permission: no docker start proposed; handed to redis-permissions, which fixes it', async () => {
    const u = await bring('aof-permission');
    const s = await conclude(u, 'redis-connectivity');
    expect(s.status).toBe('handed-over');
    expect(s.cause).toBe('start-blocked-disk');
    expect(s.approvals).toEqual({});
    const next = await conclude(u, 'redis-permissions', {
      decide: approveAll,
      handedOverFrom: ['redis-connectivity'],
    });
    expect(next.status).toBe('resolved');
    await persistsAgain(u);
  });
});

describe('several faults at once: each repaired under its own approval, each verified', () => {
  it('misconf-oom from redis-connectivity: memory raised (verified despite MISCONF), handed over, ownership fixed', async () => {
    const u = await bring('misconf-oom');
    const first = await conclude(u, 'redis-connectivity', { decide: approveAll });
    expect(repairs(first).map((r) => [r.stepId, r.verified])).toEqual([['raise-maxmemory', true]]);
    expect(first.status).toBe('handed-over');
    expect(first.outcome?.summary).toMatch(/Repaired and verified: Raise maxmemory/);
    const second = await conclude(u, 'redis-permissions', {
      decide: approveAll,
      handedOverFrom: ['redis-connectivity'],
    });
    expect(repairs(second).map((r) => r.stepId)).toEqual(['chown-running']);
    expect(second.status).toBe('resolved');
    await persistsAgain(u);
    expect(await cli(u, ['SET', 'after', '1'])).toBe('OK');
  });

  it('misconf-oom from redis-permissions: ownership fixed (the OOM write is another fault), then handed over for memory', async () => {
    const u = await bring('misconf-oom');
    const first = await conclude(u, 'redis-permissions', { decide: approveAll });
    expect(repairs(first).map((r) => [r.stepId, r.verified])).toEqual([['chown-running', true]]);
    expect(Object.values(first.approvals).map((a) => a.gateId)).not.toContain('approve-fallback');
    expect(first.status).toBe('handed-over');
    expect(first.cause).toBe('maxmemory');
    const second = await conclude(u, 'redis-connectivity', {
      decide: approveAll,
      handedOverFrom: ['redis-permissions'],
    });
    expect(repairs(second).map((r) => r.stepId)).toEqual(['raise-maxmemory']);
    expect(second.status).toBe('resolved');
    expect(await cli(u, ['SET', 'after', '1'])).toBe('OK');
    await persistsAgain(u);
  });

  it('wrong-network-bgsave: the network connected first (verified), then persistence handed over and fixed', async () => {
    const u = await bring('wrong-network-bgsave');
    const first = await conclude(u, 'redis-connectivity', { decide: approveAll });
    expect(repairs(first).map((r) => [r.stepId, r.verified])).toEqual([['connect-network', true]]);
    expect(first.status).toBe('handed-over');
    const second = await conclude(u, 'redis-permissions', {
      decide: approveAll,
      handedOverFrom: ['redis-connectivity'],
    });
    expect(second.status).toBe('resolved');
    expect(await cli(u, ['PING'], 'client')).toBe('PONG');
    await persistsAgain(u);
  });
});
