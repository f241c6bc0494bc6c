// Room on the data dir's filesystem: bytes and inodes, and which mount the dir is on. A disk is full
// when a save cannot fit, not at a percentage: 99 % of a large disk may still hold many snapshots.
import type { Analysis, Finding, StepContext } from '../model.js';
import type { ExecResult } from '../result.js';
import { allOutput } from '../result.js';
import { CUT, couldNotRun, diagnose } from './common-steps.js';
import { dataDirOf } from './facts.js';
import { besideRedis } from './permission-steps.js';

// BGSAVE writes a whole copy of the dataset: below this much free space a save is at risk whatever
// the percentage says (a 99 % full 10 TB disk still has 100 GB free).
const MIN_FREE_KB = 256 * 1024;
// Section markers in the disk step's output; an empty section (busybox df without -i) stays empty.
const INODES = '---inodes---';
const MOUNTS = '---mounts---';

/** The data row of `df -P` output: [filesystem, total, used, available, use%, mount]. */
const dfRow = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((c) => c.length >= 6 && /^\d+$/.test(c[3] ?? '') && /^\d+%$|^-$/.test(c[4] ?? ''));

export function analyzeDisk(r: ExecResult, ctx: StepContext): Analysis {
  // Cut output may have lost a later /proc/mounts line for the same mount point (the one on top).
  if (r.truncated) return couldNotRun(`check free space of ${dataDirOf(ctx)}`, r, CUT);
  const out = allOutput(r);
  const section = (from: string, to?: string) => {
    const a = out.indexOf(from);
    if (a < 0) return '';
    const b = to === undefined ? -1 : out.indexOf(to, a);
    return out.slice(a + from.length, b < 0 ? undefined : b);
  };
  const dfPart = out.slice(0, Math.max(0, out.indexOf(INODES)));
  const inodePart = section(INODES, MOUNTS);
  const mountsPart = section(MOUNTS);
  const df = dfRow(dfPart);
  const dir = dataDirOf(ctx);
  if (!df) return couldNotRun(`check free space of ${dir}`, r);
  const availKb = Number(df[3]);
  const use = Number((df[4] ?? '').replace('%', ''));
  const inodes = dfRow(inodePart);
  // Filesystems without fixed inodes (btrfs) report 0 in total: no inode limit to hit.
  const inodesFree = inodes && Number(inodes[1]) > 0 ? Number(inodes[3]) : undefined;
  // df names the mount point that holds the dir; /proc/mounts gives its options. Without that line
  // (cut off, or absent) whether it is read-only cannot be told.
  const mount = mountsPart
    .split('\n')
    .map((l) => l.split(' '))
    .filter((p) => p[1] === df[5])
    .pop();
  if (!mount)
    return couldNotRun(
      `read the mount options of ${dir}`,
      r,
      r.truncated ? CUT : `no /proc/mounts line for ${df[5]}`,
    );
  const ro = mount[3]?.split(',').includes('ro') ?? false;
  const ev = [
    df.join(' '),
    ...(inodes ? [`inodes: ${inodes.join(' ')}`] : []),
    ...(mount ? [mount.join(' ')] : []),
  ];
  const free = `${Math.round(availKb / 1024)} MiB free (${use}% used)`;
  const findings: Finding[] = [];
  if (availKb < MIN_FREE_KB || inodesFree === 0)
    findings.push({
      code: 'disk-full',
      severity: 'critical',
      statement:
        inodesFree === 0
          ? `The filesystem holding ${dir} has no free inodes left`
          : `The filesystem holding ${dir} is full: ${free}`,
      evidence: ev,
    });
  if (ro)
    findings.push({
      code: 'read-only-fs',
      severity: 'critical',
      statement: `${dir} is on a filesystem mounted read-only (${mount?.[1]})`,
      evidence: ev,
    });
  if (findings.length === 0)
    findings.push({
      code: use >= 90 ? 'disk-low' : 'disk-ok',
      severity: use >= 90 ? 'warning' : 'ok',
      statement: `${dir}: ${free}, mounted read-write`,
      evidence: ev,
    });
  return { findings };
}

export const diskStep = diagnose({
  id: 'disk',
  title: 'Free space and mount options of the data directory',
  needs: ['config', 'logs'],
  action: (ctx) =>
    besideRedis(
      ctx,
      [
        'sh',
        '-c',
        `df -Pk "$1"; echo ${INODES}; df -Pi "$1"; echo ${MOUNTS}; cat /proc/mounts`,
        'sh',
        dataDirOf(ctx),
      ],
      'root',
    ),
  analyze: analyzeDisk,
  emits: ['disk-full', 'read-only-fs', 'disk-ok', 'disk-low'],
  timeoutMs: 60_000,
});
