import { afterEach, describe, expect, it } from 'vitest';
import type { RunState } from '../../src/runbooks/index.js';
import { type LabRun, runOnScenario } from '../support/lab-run.js';
import { EXPECTATIONS } from '../support/scenarios.js';

// Every seed scenario for real: diagnose through the real executors, approve what the runbook
// proposes, then check the target itself, not the bot's opinion of it.
const approveAll = () => ({ decision: 'approve' as const, by: 'U_APPROVER' });

let current: LabRun | undefined;
afterEach(async () => {
  await current?.executor.close();
  await current?.scenario.teardown();
  current = undefined;
});

const cli = async (args: string[], opts: { from?: 'redis' | 'client'; password?: string } = {}) => {
  if (!current) throw new Error('no scenario');
  const out = await current.scenario.redisCli(args, opts);
  return `${out.stdout}${out.stderr}`.trim();
};

async function persistsAgain() {
  expect(await cli(['BGSAVE'])).toMatch(/Background saving started|already in progress/);
  let info = '';
  for (let i = 0; i < 20 && !/rdb_bgsave_in_progress:0/.test(info); i++) {
    await new Promise((r) => setTimeout(r, 200));
    info = await cli(['INFO', 'persistence']);
  }
  expect(info).toMatch(/rdb_last_bgsave_status:ok/);
  expect(await cli(['SET', 'after-repair', '1'])).toBe('OK');
}

const approvedDecisions = (s: RunState) => Object.values(s.approvals).map((a) => `${a.gateId}:${a.status}`);
const diagnosis = (s: RunState) => Object.values(s.steps).filter((r) => r.kind === 'diagnose');

describe('runbooks against the real lab', () => {
  it('rdb-permission (seed 000): chown inside the running container, then BGSAVE ok and writes accepted', async () => {
    current = await runOnScenario('rdb-permission', 'redis-permissions', { decide: approveAll });
    expect(current.state.cause).toBe('owner-mismatch');
    expect(current.state.status).toBe('resolved');
    await persistsAgain();
  });

  it('aof-permission (seed 001): helper container fixes the volume, Redis starts and persists', async () => {
    current = await runOnScenario('aof-permission', 'redis-permissions', { decide: approveAll });
    expect(current.state.status).toBe('resolved');
    expect(approvedDecisions(current.state)).toEqual(['approve-chown-stopped:approved']);
    await persistsAgain();
  });

  it('service-user-mismatch (seed 003): the unit runs as redis again (a drop-in over SSH), then BGSAVE ok', async () => {
    current = await runOnScenario('service-user-mismatch', 'redis-permissions', { decide: approveAll });
    expect(current.state.cause).toBe('service-user');
    expect(current.state.status).toBe('resolved');
    await persistsAgain();
  });

  it('wrong-network (seed 002): network connect, verified, and no further repair once the client gets PONG', async () => {
    current = await runOnScenario('wrong-network', 'redis-connectivity', { decide: approveAll });
    expect(approvedDecisions(current.state)).toEqual(['approve-connect:approved']);
    expect(current.state.status).toBe('resolved');
    expect(await cli(['PING'], { from: 'client' })).toBe('PONG');
  });

  it('container-stopped (seed 004): started, answers PONG', async () => {
    current = await runOnScenario('container-stopped', 'redis-connectivity', { decide: approveAll });
    expect(current.state.status).toBe('resolved');
    expect(await cli(['PING'])).toBe('PONG');
  });

  it('maxmemory (seed 004): limit raised to the value on the card, writes accepted', async () => {
    current = await runOnScenario('maxmemory', 'redis-connectivity', { decide: approveAll });
    expect(current.state.status).toBe('resolved');
    const card = Object.values(current.state.approvals)[0]?.commands[0] ?? '';
    const raised = /maxmemory (\d+)mb$/.exec(card)?.[1];
    expect(await cli(['CONFIG', 'GET', 'maxmemory'])).toContain(String(Number(raised) * 1024 * 1024));
    expect(await cli(['SET', 'after-repair', 'x'])).toBe('OK');
  });

  it('maxclients (seed 004): the client holding the connections is restarted, new clients are accepted', async () => {
    current = await runOnScenario('maxclients', 'redis-connectivity', { decide: approveAll });
    expect(current.state.status).toBe('resolved');
    expect(await cli(['PING'])).toBe('PONG');
    expect(await cli(['CONFIG', 'GET', 'timeout'])).toMatch(/timeout\s+300/);
  });

  it('auth-refused (seeds 002, 004): escalated with the evidence, nothing proposed', async () => {
    current = await runOnScenario('auth-refused', 'redis-connectivity', { decide: approveAll });
    expect(current.state.status).toBe('escalated');
    expect(current.state.approvals).toEqual({});
    const evidence = diagnosis(current.state).flatMap((s) => s.findings.flatMap((f) => f.evidence));
    expect(evidence.join('\n')).toMatch(/WRONGPASS/);
  });

  for (const runbook of ['redis-connectivity', 'redis-permissions'] as const) {
    it(`healthy: ${runbook} proposes nothing`, async () => {
      current = await runOnScenario('healthy', runbook, { decide: approveAll });
      expect(current.state.status).toBe('no-fault');
      expect(current.state.approvals).toEqual({});
      expect(Object.values(current.state.steps).some((s) => s.kind === 'repair')).toBe(false);
    });
  }

  it('covers every scenario the rehearsals do', () => {
    const here = new Set([
      'rdb-permission',
      'aof-permission',
      'service-user-mismatch',
      'wrong-network',
      'container-stopped',
      'maxmemory',
      'maxclients',
      'auth-refused',
      'healthy',
      // Driven in depth-lab.test.ts.
      'aof-rewrite-denied',
      'volatile-lru-full',
      'pubsub-leak',
    ]);
    expect(EXPECTATIONS.filter((e) => !here.has(e.scenario))).toEqual([]);
  });
});
