// INFO persistence: whether the last RDB save, AOF write and AOF rewrite failed, read live (a log
// line may be from before a fix).
import { infoLine, infoNumber } from '../analyzers/redis-info.js';
import type { Finding } from '../model.js';
import { diagnose, readInfo } from './common-steps.js';

const redis = { at: 'redis' } as const;
const running = { not: { finding: 'container-not-running' } } as const;

export const persistenceStep = diagnose({
  id: 'info-persistence',
  title: 'INFO persistence',
  needs: ['container'],
  when: running,
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'persistence'] }),
  analyze: (r) => {
    const info = readInfo(r, 'INFO persistence', 'rdb_last_bgsave_status');
    if (!(info instanceof Map)) return info;
    const findings: Finding[] = [];
    if (info.get('rdb_last_bgsave_status') === 'err')
      findings.push({
        code: 'bgsave-failing',
        severity: 'critical',
        statement: 'The last background save (BGSAVE) failed',
        evidence: [
          infoLine(info, 'rdb_last_bgsave_status'),
          infoLine(info, 'rdb_changes_since_last_save'),
          infoLine(info, 'rdb_last_save_time'),
        ],
      });
    if (info.get('aof_enabled') === '1' && info.get('aof_last_write_status') === 'err')
      findings.push({
        code: 'aof-write-failing',
        severity: 'critical',
        statement: 'Writes to the append-only file are failing',
        evidence: [infoLine(info, 'aof_enabled'), infoLine(info, 'aof_last_write_status')],
      });
    if (info.get('aof_last_bgrewrite_status') === 'err')
      findings.push({
        code: 'aof-rewrite-failing',
        severity: 'warning',
        statement: 'The last AOF rewrite failed',
        evidence: [infoLine(info, 'aof_last_bgrewrite_status')],
      });
    if (findings.length === 0)
      findings.push({
        code: 'persistence-ok',
        severity: 'ok',
        statement: 'Persistence is healthy',
        evidence: [
          'rdb_last_bgsave_status',
          'aof_enabled',
          'aof_last_write_status',
          'aof_last_bgrewrite_status',
        ].map((f) => infoLine(info, f)),
      });
    return {
      findings,
      facts: {
        'persistence.changesSinceSave': infoNumber(info, 'rdb_changes_since_last_save') ?? 0,
        // The verification after a repair wants a save newer than this one.
        'persistence.lastSave': infoNumber(info, 'rdb_last_save_time') ?? 0,
      },
    };
  },
  emits: ['bgsave-failing', 'aof-write-failing', 'aof-rewrite-failing', 'persistence-ok'],
  timeoutMs: 15_000,
});
