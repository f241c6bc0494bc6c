// Seed 004's memory checks in one INFO: used against maxmemory under the policy Redis runs, the
// keyspace (how many keys, how many can expire), the OOM errors clients got, the evictions. Whether
// Redis refuses writes depends on the policy and the keys: noeviction refuses at the limit, and so
// does a volatile-* policy with no key that has a TTL, since it has nothing it may evict.
import { formatBytes, infoLine, infoNumber, parseInfo } from '../analyzers/redis-info.js';
import type { Facts, Finding } from '../model.js';
import { CUT, couldNotRun, diagnose } from './common-steps.js';
import { str } from './facts.js';

const redis = { at: 'redis' } as const;
const running = { not: { finding: 'container-not-running' } } as const;
const MIB = 1024 * 1024;

/** The allkeys-* policy that evicts as a volatile-* one does, but from every key. */
const ALLKEYS: Record<string, string> = {
  'volatile-lru': 'allkeys-lru',
  'volatile-lfu': 'allkeys-lfu',
  'volatile-random': 'allkeys-random',
  'volatile-ttl': 'allkeys-lru',
};

/** Keys and keys with a TTL over every db of `INFO keyspace` (db0:keys=3,expires=1,avg_ttl=0). */
export function keyspaceTotals(info: Map<string, string>): { keys: number; expires: number; dbs: string[] } {
  let keys = 0;
  let expires = 0;
  const dbs: string[] = [];
  for (const [field, value] of info) {
    if (!/^db\d+$/.test(field)) continue;
    keys += Number(/(?:^|,)keys=(\d+)/.exec(value)?.[1] ?? 0);
    expires += Number(/(?:^|,)expires=(\d+)/.exec(value)?.[1] ?? 0);
    dbs.push(`${field}:${value}`);
  }
  return { keys, expires, dbs };
}

/** `errorstat_OOM:count=12` (Redis 6.2+): how many commands were refused for memory since start. */
const oomErrors = (info: Map<string, string>) =>
  Number(/count=(\d+)/.exec(info.get('errorstat_OOM') ?? '')?.[1] ?? 0);

export const memoryStep = diagnose({
  id: 'info-memory',
  title: 'INFO (memory, keyspace, errorstats, evictions)',
  needs: ['container'],
  when: running,
  // The default sections hold all four; one round trip instead of four.
  action: () => ({ kind: 'redis', place: redis, args: ['INFO'] }),
  analyze: (r, ctx) => {
    if (r.truncated) return couldNotRun('read INFO', r, CUT);
    const info = parseInfo(r.stdout);
    const used = infoNumber(info, 'used_memory');
    const max = infoNumber(info, 'maxmemory');
    if (used === undefined || max === undefined) return couldNotRun('read INFO memory', r);
    const policy = info.get('maxmemory_policy') ?? '?';
    const { keys, expires, dbs } = keyspaceTotals(info);
    const oom = oomErrors(info);
    const evidence = [
      ...['used_memory_human', 'maxmemory_human', 'maxmemory_policy', 'evicted_keys'].map((f) =>
        infoLine(info, f),
      ),
      ...(dbs.length > 0 ? dbs : ['keyspace: (empty)']),
      ...(oom > 0 ? [infoLine(info, 'errorstat_OOM')] : []),
    ];
    const pattern = ctx.target.redis.sessionPattern;
    const facts: Facts = {
      'memory.used': used,
      'memory.max': max,
      'memory.policy': policy,
      'memory.keys': keys,
      'memory.expires': expires,
      ...(pattern ? { 'memory.sessionPattern': pattern } : {}),
    };
    const keysSaid = `${keys} keys, ${expires} with a TTL`;
    if (max === 0) {
      const statement = `${formatBytes(used)} used, no maxmemory limit (${keysSaid})`;
      return { findings: [{ code: 'memory-ok', severity: 'ok', statement, evidence }], facts };
    }
    const pct = Math.round((used / max) * 100);
    const full = used / max >= 0.95;
    const nothingToEvict = policy in ALLKEYS && expires === 0;
    if (full && (policy === 'noeviction' || nothingToEvict)) {
      const proposed = Math.ceil(Math.max(max * 2, used * 1.5) / MIB);
      const why =
        policy === 'noeviction'
          ? 'policy noeviction, so writes are refused with OOM'
          : `policy ${policy} evicts only keys with a TTL and none of the ${keys} keys has one, so Redis cannot free memory and refuses writes with OOM`;
      const finding: Finding = {
        code: 'maxmemory-reached',
        severity: 'critical',
        statement: `Memory is at the limit: ${formatBytes(used)} of ${formatBytes(max)} (${pct}%), ${why}${oom > 0 ? `; ${oom} ${oom === 1 ? 'command' : 'commands'} refused so far` : ''}`,
        evidence,
      };
      const policySwitch = ALLKEYS[policy];
      return {
        findings: [finding],
        facts: {
          ...facts,
          'memory.proposed': `${proposed}mb`,
          ...(nothingToEvict && policySwitch ? { 'memory.policySwitch': policySwitch } : {}),
        },
      };
    }
    let f: Finding;
    if (full && policy in ALLKEYS)
      f = {
        code: 'memory-high',
        severity: 'warning',
        statement: `Memory at ${pct}% of maxmemory under ${policy}: only the ${expires} keys with a TTL can be evicted (${keysSaid}); once they are gone, writes are refused`,
        evidence,
      };
    else if (used / max >= 0.8)
      f = {
        code: 'memory-high',
        severity: 'warning',
        statement: `Memory at ${pct}% of maxmemory (${formatBytes(used)} of ${formatBytes(max)}, ${policy}, ${keysSaid})`,
        evidence,
      };
    else
      f = {
        code: 'memory-ok',
        severity: 'ok',
        statement: `Memory at ${pct}% of maxmemory (${policy}, ${keysSaid})`,
        evidence,
      };
    return { findings: [f], facts };
  },
  emits: ['maxmemory-reached', 'memory-high', 'memory-ok'],
  timeoutMs: 15_000,
});

/** How many keys match the target's session pattern: SCAN, read-only, never KEYS. */
export const sessionKeysStep = diagnose({
  id: 'session-keys',
  title: 'Keys matching the session pattern (SCAN)',
  needs: ['info-memory'],
  // Set by info-memory from the targets file: absent means the target names no pattern.
  when: { all: [running, { fact: 'memory.sessionPattern' }] },
  action: (ctx) => {
    const pattern = str(ctx.facts, 'memory.sessionPattern');
    return pattern ? { kind: 'redis', place: redis, args: ['--scan', '--pattern', pattern] } : null;
  },
  analyze: (r, ctx) => {
    if (r.exitCode !== 0 || r.timedOut || r.unreachable) return couldNotRun('count the session keys', r);
    const n = r.stdout.split('\n').filter((l) => l !== '').length;
    const atLeast = r.truncated ? 'at least ' : '';
    const pattern = str(ctx.facts, 'memory.sessionPattern') ?? '?';
    const total = ctx.facts['memory.keys'];
    return {
      findings: [
        {
          code: 'session-keys',
          severity: 'info',
          statement: `${atLeast}${n} keys match ${pattern}${typeof total === 'number' ? ` of ${total} keys` : ''}`,
          evidence: [`redis-cli --scan --pattern ${pattern} | wc -l → ${atLeast}${n}`],
        },
      ],
      facts: { 'memory.sessionKeys': n },
    };
  },
  emits: ['session-keys'],
  timeoutMs: 30_000,
});
