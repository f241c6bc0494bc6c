import { formatBytes, infoLine, infoNumber, parseInfo } from '../analyzers/redis-info.js';
import { classifyReply } from '../analyzers/redis-reply.js';
import type { Finding } from '../model.js';
import { CUT, couldNotRun, diagnose, readInfo } from './common-steps.js';

const redis = { at: 'redis' } as const;
const T = 15_000;
const running = { not: { finding: 'container-not-running' } } as const;
export const memoryStep = diagnose({
  id: 'info-memory',
  title: 'INFO memory',
  needs: ['container'],
  when: running,
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'memory'] }),
  analyze: (r) => {
    if (r.truncated) return couldNotRun('read INFO memory', r, CUT);
    const info = parseInfo(r.stdout);
    const used = infoNumber(info, 'used_memory');
    const max = infoNumber(info, 'maxmemory');
    if (used === undefined || max === undefined) return couldNotRun('read INFO memory', r);
    const policy = info.get('maxmemory_policy') ?? '?';
    const ev = ['used_memory', 'used_memory_human', 'maxmemory', 'maxmemory_human', 'maxmemory_policy'].map(
      (f) => infoLine(info, f),
    );
    if (max === 0)
      return {
        findings: [
          {
            code: 'memory-ok',
            severity: 'ok',
            statement: `${formatBytes(used)} used, no maxmemory limit`,
            evidence: ev,
          },
        ],
      };
    const ratio = used / max;
    const pct = Math.round(ratio * 100);
    // With noeviction Redis refuses writes once it is at the limit; other policies evict instead.
    if (ratio >= 0.95 && policy === 'noeviction') {
      const mib = 1024 * 1024;
      const proposed = Math.ceil(Math.max(max * 2, used * 1.5) / mib);
      return {
        findings: [
          {
            code: 'maxmemory-reached',
            severity: 'critical',
            statement: `Memory is at the limit: ${formatBytes(used)} of ${formatBytes(max)} (${pct}%), policy noeviction, so writes are refused with OOM`,
            evidence: ev,
          },
        ],
        facts: { 'memory.used': used, 'memory.max': max, 'memory.proposed': `${proposed}mb` },
      };
    }
    const f: Finding =
      ratio >= 0.8
        ? {
            code: 'memory-high',
            severity: 'warning',
            statement: `Memory at ${pct}% of maxmemory (${formatBytes(used)} of ${formatBytes(max)}, ${policy})`,
            evidence: ev,
          }
        : {
            code: 'memory-ok',
            severity: 'ok',
            statement: `Memory at ${pct}% of maxmemory (${policy})`,
            evidence: ev,
          };
    return { findings: [f], facts: { 'memory.used': used, 'memory.max': max } };
  },
  emits: ['maxmemory-reached', 'memory-high', 'memory-ok'],
  timeoutMs: T,
});

export const clientsStep = diagnose({
  id: 'info-clients',
  title: 'INFO clients',
  needs: ['container'],
  when: running,
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'clients'] }),
  analyze: (r) => {
    const reply = classifyReply(r);
    if (reply.kind === 'max-clients')
      return {
        findings: [
          {
            code: 'clients-exhausted',
            severity: 'critical',
            statement: 'Redis refuses new connections: max number of clients reached',
            evidence: [reply.line],
          },
        ],
      };
    if (r.truncated) return couldNotRun('read INFO clients', r, CUT);
    const info = parseInfo(r.stdout);
    const connected = infoNumber(info, 'connected_clients');
    const max = infoNumber(info, 'maxclients');
    if (connected === undefined) return couldNotRun('read INFO clients', r);
    const ev = [
      infoLine(info, 'connected_clients'),
      infoLine(info, 'maxclients'),
      infoLine(info, 'blocked_clients'),
    ];
    const exhausted = max !== undefined && connected >= max;
    return {
      findings: [
        exhausted
          ? {
              code: 'clients-exhausted',
              severity: 'critical',
              statement: `${connected} of ${max} client connections in use`,
              evidence: ev,
            }
          : {
              code: 'clients-ok',
              severity: 'ok',
              statement: `${connected} clients connected${max ? ` of ${max} allowed` : ''}`,
              evidence: ev,
            },
      ],
      facts: { 'clients.connected': connected, ...(max !== undefined ? { 'clients.max': max } : {}) },
    };
  },
  emits: ['clients-exhausted', 'clients-ok'],
  timeoutMs: T,
});

export const replicationStep = diagnose({
  id: 'info-replication',
  title: 'INFO replication',
  needs: ['container'],
  when: running,
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'replication'] }),
  analyze: (r) => {
    const info = readInfo(r, 'INFO replication', 'role');
    if (!(info instanceof Map)) return info;
    const ev = ['role', 'master_link_status', 'master_link_down_since_seconds']
      .filter((k) => info.has(k))
      .map((k) => infoLine(info, k));
    if (info.get('role') !== 'slave')
      return {
        findings: [
          {
            code: 'replication-primary',
            severity: 'info',
            statement: `Redis is a ${info.get('role')}`,
            evidence: ev,
          },
        ],
      };
    if (info.get('master_link_status') === 'up')
      return {
        findings: [
          {
            code: 'replica-ok',
            severity: 'info',
            statement: 'Redis is a replica; its link to the master is up',
            evidence: ev,
          },
        ],
      };
    return {
      findings: [
        {
          code: 'replica-link-down',
          severity: 'critical',
          statement: `Redis is a replica whose link to its master is ${info.get('master_link_status') ?? 'unknown'}: clients get stale data or MASTERDOWN, and writes are refused`,
          evidence: ev,
        },
      ],
    };
  },
  emits: ['replication-primary', 'replica-ok', 'replica-link-down'],
  timeoutMs: T,
});
