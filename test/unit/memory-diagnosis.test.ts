import { describe, expect, it } from 'vitest';
import { parseInfo } from '../../src/runbooks/analyzers/redis-info.js';
import type { RunState, TargetView } from '../../src/runbooks/index.js';
import { keyspaceTotals, memoryStep, sessionKeysStep } from '../../src/runbooks/library/memory-step.js';
import { engineDriver } from '../support/engine-driver.js';
import { loadRehearsal, type Rehearsal } from '../support/rehearsal-fixture.js';
import { res } from '../support/toy-runbook.js';

// Seed 004's memory checks: whether a full Redis refuses writes depends on its policy and on its
// keys, and the card offers the choice the evidence supports.
const target: TargetView = {
  name: 't',
  kind: 'docker',
  redis: { container: 'r', host: 'r', port: 6379, hasPassword: false, sessionPattern: 'sess:*' },
  clients: [],
};
const info = (o: { used: number; max: number; policy: string; keyspace?: string; oom?: number }) =>
  res(
    [
      '# Memory',
      `used_memory:${o.used}`,
      `used_memory_human:${o.used}B`,
      `maxmemory:${o.max}`,
      `maxmemory_human:${o.max}B`,
      `maxmemory_policy:${o.policy}`,
      '# Stats',
      'evicted_keys:0',
      '# Errorstats',
      ...(o.oom ? [`errorstat_OOM:count=${o.oom}`] : []),
      '# Keyspace',
      ...(o.keyspace ? [o.keyspace] : []),
      '',
    ].join('\r\n'),
  );
const analyze = (r: ReturnType<typeof res>) => memoryStep.analyze(r, { target, facts: {} });
const MB = 1024 * 1024;

describe('memory under each eviction policy', () => {
  it('noeviction at the limit refuses writes; the raise is proposed, no policy switch', () => {
    const a = analyze(
      info({ used: 2 * MB, max: 2 * MB, policy: 'noeviction', keyspace: 'db0:keys=9,expires=9,avg_ttl=1' }),
    );
    expect(a.findings[0]?.code).toBe('maxmemory-reached');
    expect(a.facts?.['memory.proposed']).toBe('4mb');
    expect(a.facts?.['memory.policySwitch']).toBeUndefined();
  });

  it.each([
    ['volatile-lru', 'allkeys-lru'],
    ['volatile-lfu', 'allkeys-lfu'],
    ['volatile-random', 'allkeys-random'],
    ['volatile-ttl', 'allkeys-lru'],
  ])(
    '%s at the limit with no key that has a TTL refuses writes too; the switch to %s is on offer',
    (policy, to) => {
      const a = analyze(
        info({ used: 3 * MB, max: 2 * MB, policy, keyspace: 'db0:keys=400,expires=0,avg_ttl=0', oom: 7 }),
      );
      expect(a.findings[0]?.code).toBe('maxmemory-reached');
      expect(a.findings[0]?.statement).toMatch(/none of the 400 keys has one.*7 commands refused/);
      expect(a.findings[0]?.evidence).toContain('errorstat_OOM:count=7');
      expect(a.facts?.['memory.policySwitch']).toBe(to);
    },
  );

  it('volatile-lru at the limit with keys that can expire still evicts: a warning, nothing proposed', () => {
    const a = analyze(
      info({
        used: 2 * MB,
        max: 2 * MB,
        policy: 'volatile-lru',
        keyspace: 'db0:keys=400,expires=12,avg_ttl=9',
      }),
    );
    expect(a.findings[0]?.code).toBe('memory-high');
    expect(a.findings[0]?.statement).toMatch(/only the 12 keys with a TTL/);
    expect(a.facts?.['memory.proposed']).toBeUndefined();
  });

  it('allkeys-lru at the limit evicts: a warning, not a refusal', () => {
    const a = analyze(
      info({ used: 2 * MB, max: 2 * MB, policy: 'allkeys-lru', keyspace: 'db0:keys=4,expires=0,avg_ttl=0' }),
    );
    expect(a.findings[0]?.code).toBe('memory-high');
  });

  it('no limit is ok whatever is stored; an INFO without memory fields is unread', () => {
    expect(analyze(info({ used: 9 * MB, max: 0, policy: 'noeviction' })).findings[0]?.code).toBe('memory-ok');
    expect(analyze(res('# Server\nredis_version:7.0.15\n')).unread).toBeDefined();
    expect(analyze(res('used_memory:1\n', { truncated: true })).unread).toBeDefined();
  });

  it('the keyspace sums every db', () => {
    const t = keyspaceTotals(
      parseInfo('db0:keys=3,expires=1,avg_ttl=5\ndb2:keys=10,expires=0,avg_ttl=0\nkeys:9\n'),
    );
    expect(t).toMatchObject({ keys: 13, expires: 1 });
    expect(t.dbs).toHaveLength(2);
  });
});

describe('session keys', () => {
  const facts = { 'memory.sessionPattern': 'sess:*', 'memory.keys': 40 };
  it('SCAN with the pattern from the targets file, counted; a cut output is a lower bound', () => {
    expect(sessionKeysStep.action({ target, facts })).toMatchObject({
      args: ['--scan', '--pattern', 'sess:*'],
    });
    expect(sessionKeysStep.analyze(res('sess:1\nsess:2\n'), { target, facts }).findings[0]?.statement).toBe(
      '2 keys match sess:* of 40 keys',
    );
    const cut = sessionKeysStep.analyze(res('sess:1\n', { truncated: true }), { target, facts });
    expect(cut.findings[0]?.statement).toMatch(/^at least 1 keys/);
    expect(sessionKeysStep.analyze(res('', { exitCode: 1 }), { target, facts }).unread).toBeDefined();
  });
});

describe('the choices on the card, in order', () => {
  const drive = (fx: Rehearsal) =>
    engineDriver(fx.runbook, {
      target: fx.target,
      answer: (_id, _round, key) => fx.results[key],
    }).run();
  const gates = (s: RunState) => Object.values(s.approvals).map((a) => `${a.gateId}:${a.status}`);

  it('volatile-lru with nothing to evict: the raise first; rejected, the policy switch with its undo', () => {
    const d = drive(loadRehearsal('volatile-lru-full.redis-connectivity.json'));
    const first = Object.values(d.state.approvals)[0];
    expect(first?.gateId).toBe('approve-maxmemory');
    d.feed({ type: 'approval-decision', approvalId: first?.id ?? '', decision: 'reject', by: 'U_APPROVER' });
    expect(gates(d.state)).toEqual(['approve-maxmemory:rejected', 'approve-policy-switch:pending']);
    const second = Object.values(d.state.approvals)[1];
    expect(second?.risk).toBe('high');
    expect(second?.undo).toMatch(/CONFIG SET maxmemory-policy volatile-lru/);
  });

  it('noeviction: a rejected raise ends the run, no policy switch is offered', () => {
    const d = drive(loadRehearsal('maxmemory.redis-connectivity.json'));
    const first = Object.values(d.state.approvals)[0];
    d.feed({ type: 'approval-decision', approvalId: first?.id ?? '', decision: 'reject', by: 'U_APPROVER' });
    expect(gates(d.state)).toEqual(['approve-maxmemory:rejected']);
    expect(d.state.status).toBe('rejected');
  });
});
