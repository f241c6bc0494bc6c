import { afterEach, describe, expect, it } from 'vitest';
import type { RunState } from '../../src/runbooks/index.js';
import { type LabRun, runOnScenario } from '../support/lab-run.js';
import { dockerFromEnv, execText } from './docker-lab.js';

// Seeds 001 and 004 in depth, for real: diagnose through the real executors, approve, then read the
// target itself (its files, its counters), not the bot's opinion of it.
const approveAll = () => ({ decision: 'approve' as const, by: 'U_APPROVER' });

let current: LabRun | undefined;
afterEach(async () => {
  await current?.executor.close();
  await current?.scenario.teardown();
  current = undefined;
});

const cli = async (args: string[]) => {
  if (!current) throw new Error('no scenario');
  const out = await current.scenario.redisCli(args);
  return `${out.stdout}${out.stderr}`.trim();
};
const gates = (s: RunState) => Object.values(s.approvals).map((a) => `${a.gateId}:${a.status}`);

async function settled(field: RegExp): Promise<string> {
  let info = '';
  for (let i = 0; i < 40 && !field.test(info); i++) {
    await new Promise((r) => setTimeout(r, 250));
    info = await cli(['INFO', 'persistence']);
  }
  return info;
}

describe('seed depth against the real lab', () => {
  it('aof-rewrite-denied (seed 001): appendonlydir back to 999, our own BGREWRITEAOF succeeds, AOF stays on', async () => {
    current = await runOnScenario('aof-rewrite-denied', 'redis-permissions', { decide: approveAll });
    expect(current.state.cause).toBe('aof-dir-owner');
    expect(gates(current.state)).toEqual(['approve-chown-aof:approved']);
    expect(current.state.status).toBe('resolved');
    const verified = Object.values(current.state.steps).filter((s) => s.kind === 'verify' && s.check?.passed);
    expect(verified.map((s) => s.stepId)).toEqual(
      expect.arrayContaining(['verify-bgrewriteaof', 'verify-aof-status', 'verify-write']),
    );
    // The target itself: the files belong to Redis, and a rewrite of the test's own succeeds.
    const run = await current.scenario.redisCli(['CONFIG', 'GET', 'appendonly']);
    expect(run.stdout).toMatch(/appendonly\s+yes/);
    expect(await cli(['BGREWRITEAOF'])).toMatch(/rewriting (started|scheduled)/);
    const info = await settled(/aof_rewrite_in_progress:0[\s\S]*aof_rewrite_scheduled:0/);
    expect(info).toMatch(/aof_last_bgrewrite_status:ok/);
    expect(info).toMatch(/aof_last_write_status:ok/);
    expect(await cli(['SET', 'after-repair', '1'])).toBe('OK');
    // The link inside the dir was changed, the file it points at outside was not.
    const redis = current.scenario.target.redis.docker?.container ?? '';
    const owners = await execText(dockerFromEnv(), redis, [
      'stat',
      '-c',
      '%u %n',
      '/outside',
      '/data/appendonlydir',
    ]);
    expect(owners.trim().split('\n')).toEqual(['1234 /outside', '999 /data/appendonlydir']);
  });

  it('volatile-lru-full (seed 004): the raise on the card is applied, writes accepted, every key kept', async () => {
    current = await runOnScenario('volatile-lru-full', 'redis-connectivity', { decide: approveAll });
    expect(current.state.cause).toBe('maxmemory');
    expect(current.state.status).toBe('resolved');
    const card = Object.values(current.state.approvals)[0]?.commands[0] ?? '';
    const raised = Number(/maxmemory (\d+)mb$/.exec(card)?.[1]);
    expect(await cli(['CONFIG', 'GET', 'maxmemory'])).toContain(String(raised * 1024 * 1024));
    expect(await cli(['SET', 'after-repair', 'x'])).toBe('OK');
    expect(await cli(['EXISTS', 'sess:1', 'sess:25'])).toBe('2');
  });

  it('volatile-lru-full (seed 004): the raise rejected, the policy switch is offered next, then applied and verified', async () => {
    const decide = (a: { gateId: string }) => ({
      decision: a.gateId === 'approve-maxmemory' ? ('reject' as const) : ('approve' as const),
      by: 'U_APPROVER',
    });
    current = await runOnScenario('volatile-lru-full', 'redis-connectivity', { decide });
    expect(gates(current.state)).toEqual(['approve-maxmemory:rejected', 'approve-policy-switch:approved']);
    const sw = Object.values(current.state.approvals)[1];
    expect(sw?.risk).toBe('high');
    expect(sw?.commands).toEqual([expect.stringMatching(/CONFIG SET maxmemory-policy allkeys-lru$/)]);
    expect(sw?.undo).toMatch(/CONFIG SET maxmemory-policy volatile-lru/);
    expect(current.state.status).toBe('resolved');
    expect(await cli(['CONFIG', 'GET', 'maxmemory-policy'])).toMatch(/allkeys-lru/);
    expect(await cli(['CONFIG', 'GET', 'maxmemory'])).toContain(String(2 * 1024 * 1024));
    expect(await cli(['SET', 'after-repair', 'x'])).toBe('OK');
  });

  it('pubsub-leak (seed 004): the idle subscribers are found by address without netstat, closed by ID, connections back under the limit', async () => {
    current = await runOnScenario('pubsub-leak', 'redis-connectivity', { decide: approveAll });
    expect(current.state.cause).toBe('pubsub-leak');
    expect(gates(current.state)).toEqual(['approve-kill-pubsub:approved']);
    expect(current.state.status).toBe('resolved');
    const list = await cli(['CLIENT', 'LIST']);
    expect(list).not.toMatch(/flags=P/);
    const connected = Number(/connected_clients:(\d+)/.exec(await cli(['INFO', 'clients']))?.[1]);
    expect(connected).toBeLessThan(8);
  });
});
