// Seed 004's escalation list ("check disk space and system resources") as a diagnosis step: the
// memory of the machine Redis runs on, and of its container's cgroup, read beside Redis.
import { formatBytes } from '../analyzers/redis-info.js';
import type { Finding } from '../model.js';
import { CUT, couldNotRun, diagnose } from './common-steps.js';

const redis = { at: 'redis' } as const;
const CGROUP = '---cgroup---';
// cgroup v2 first, then v1; a machine with neither prints nothing after the marker.
const READ = `cat /proc/meminfo; echo ${CGROUP}; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.current 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.usage_in_bytes 2>/dev/null; exit 0`;
// A v1 cgroup with no limit reports a page-rounded 2^63.
const NO_LIMIT = 2 ** 60;

const kb = (text: string, field: string) => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
};

export const hostMemoryStep = diagnose({
  id: 'host-memory',
  title: 'Memory of the host and of the Redis container',
  needs: ['container'],
  when: { not: { finding: 'container-not-running' } },
  action: () => ({ kind: 'exec', place: redis, argv: ['sh', '-c', READ] }),
  analyze: (r) => {
    if (r.truncated) return couldNotRun('read the host memory', r, CUT);
    const [meminfo = '', cgroup = ''] = r.stdout.split(CGROUP);
    const total = kb(meminfo, 'MemTotal');
    const avail = kb(meminfo, 'MemAvailable');
    if (r.exitCode !== 0 || total === undefined || avail === undefined)
      return couldNotRun('read /proc/meminfo beside Redis', r);
    const [limit, current] = cgroup
      .trim()
      .split('\n')
      .map((l) => (/^\d+$/.test(l.trim()) ? Number(l.trim()) : undefined));
    const evidence = [
      `MemTotal ${formatBytes(total)}, MemAvailable ${formatBytes(avail)} (${Math.round((avail / total) * 100)}%)`,
      ...(limit !== undefined && current !== undefined && limit < NO_LIMIT
        ? [`container cgroup: ${formatBytes(current)} used of a ${formatBytes(limit)} limit`]
        : ['container cgroup: no memory limit read']),
    ];
    const findings: Finding[] = [];
    if (avail < total * 0.1 || avail < 256 * 1024 ** 2)
      findings.push({
        code: 'host-memory-low',
        severity: 'warning',
        statement: `The host has ${formatBytes(avail)} of ${formatBytes(total)} available: Redis may be swapping, and a fork for a save or rewrite may fail`,
        evidence,
      });
    if (limit !== undefined && current !== undefined && limit < NO_LIMIT && current >= limit * 0.9)
      findings.push({
        code: 'container-memory-near-limit',
        severity: 'warning',
        statement: `The Redis container uses ${formatBytes(current)} of its ${formatBytes(limit)} memory limit: the kernel kills it (OOM) at the limit`,
        evidence,
      });
    if (findings.length === 0)
      findings.push({
        code: 'host-memory-ok',
        severity: 'ok',
        statement: `The host has ${formatBytes(avail)} of ${formatBytes(total)} memory available`,
        evidence,
      });
    return { findings, facts: { 'host.memAvailable': avail, 'host.memTotal': total } };
  },
  emits: ['host-memory-low', 'container-memory-near-limit', 'host-memory-ok'],
  timeoutMs: 15_000,
});
