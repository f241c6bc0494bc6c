import { infoLine, infoNumber, parseInfo } from '../analyzers/redis-info.js';
import { classifyReply } from '../analyzers/redis-reply.js';
import type { Finding } from '../model.js';
import { CUT, couldNotRun, diagnose, readInfo } from './common-steps.js';

export { memoryStep } from './memory-step.js';

const redis = { at: 'redis' } as const;
const T = 15_000;
const running = { not: { finding: 'container-not-running' } } as const;
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
    // Near the limit: who holds the connections is worth a look before new clients are refused.
    const high = !exhausted && max !== undefined && max > 0 && connected >= max * 0.8;
    const finding: Finding = exhausted
      ? {
          code: 'clients-exhausted',
          severity: 'critical',
          statement: `${connected} of ${max} client connections in use`,
          evidence: ev,
        }
      : high
        ? {
            code: 'clients-high',
            severity: 'warning',
            statement: `${connected} of ${max} client connections in use (${Math.round((connected / (max ?? 1)) * 100)}%): new clients are refused once all are taken`,
            evidence: ev,
          }
        : {
            code: 'clients-ok',
            severity: 'ok',
            statement: `${connected} clients connected${max ? ` of ${max} allowed` : ''}`,
            evidence: ev,
          };
    return {
      findings: [finding],
      facts: { 'clients.connected': connected, ...(max !== undefined ? { 'clients.max': max } : {}) },
    };
  },
  emits: ['clients-exhausted', 'clients-high', 'clients-ok'],
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
