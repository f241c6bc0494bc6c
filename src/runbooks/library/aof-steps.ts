// Seed 001: the append-only file. A running Redis keeps its open AOF file, so writes go on while
// appendonlydir is not writable; what fails is every new file in it: the incr file of a rewrite, the
// manifest, and the next start. Diagnosis reads the directory and its files; verification after any
// repair runs a rewrite of its own whenever AOF is on.
import {
  type FileOwner,
  fileWritable,
  modeString,
  parseStats,
  writeAccess,
} from '../analyzers/file-owner.js';
import { infoLine, parseInfo } from '../analyzers/redis-info.js';
import { classifyReply } from '../analyzers/redis-reply.js';
import type { Condition, Facts, Finding } from '../model.js';
import { allOutput } from '../result.js';
import { CUT, couldNotRun, diagnose, UNREAD, verify } from './common-steps.js';
import { list, num, SAFE_NAME, SAFE_PATH, str } from './facts.js';
import { besideRedis } from './permission-steps.js';

const redis = { at: 'redis' } as const;
const T = 15_000;
const MAX_LISTED = 12;

// The directory first, then (for a directory) each file in it; no glob reaches a shell unquoted.
// Last, where the path really leads, so a repair can refuse a link into the system.
const STAT_AOF =
  'stat -L -c "%u %g %a %U %G %n" "$1" || exit 1; if [ -d "$1" ]; then for f in "$1"/*; do [ -e "$f" ] && stat -c "%u %g %a %U %G %n" "$f"; done; fi; printf "realpath %s\\n" "$(readlink -f "$1")"; exit 0';

/** AOF is on: as Redis's config says, or as the log of a start that failed on it says. */
export const aofOn: Condition = {
  any: [{ fact: 'redis.appendonly', equals: 'yes' }, { finding: 'aof-permission-denied' }],
};

export const aofDirStep = diagnose({
  id: 'aof-dir',
  title: 'Owner and mode of the AOF directory and its files',
  needs: ['config', 'process-owner', 'image-user'],
  // Read only where Redis names its AOF path; with AOF off there is nothing of it to write.
  when: {
    all: [{ not: { finding: 'container-not-running' } }, { fact: 'redis.appendonly', equals: 'yes' }],
  },
  action: (ctx) => {
    const path = str(ctx.facts, 'redis.aofPath');
    return path ? besideRedis(ctx, ['sh', '-c', STAT_AOF, 'sh', path], 'root') : null;
  },
  analyze: (r, ctx) => {
    const path = str(ctx.facts, 'redis.aofPath') ?? '?';
    if (r.truncated) return couldNotRun(`stat the AOF at ${path}`, r, CUT);
    const entries = parseStats(r.stdout);
    const top = entries[0];
    if (r.exitCode !== 0 || top === undefined || top.path !== path)
      return couldNotRun(`stat the AOF at ${path}`, r);
    const uid = num(ctx.facts, 'redis.uid');
    const gid = num(ctx.facts, 'redis.gid');
    const evidence = r.stdout.trim().split('\n').slice(0, MAX_LISTED);
    const real = /^realpath (\/\S*)$/m.exec(r.stdout)?.[1];
    const facts: Facts = {
      'aof.path': path,
      'aof.uid': top.uid,
      'aof.gid': top.gid,
      'aof.mode': top.mode,
      ...(real !== undefined && SAFE_PATH.test(real) ? { 'aof.real': real } : {}),
    };
    if (uid === undefined || gid === undefined) {
      const why = 'the user Redis runs as is unknown, so whether it may write its AOF cannot be told';
      const statement = `${path} is owned by ${top.uid}:${top.gid}; ${why}`;
      return { findings: [{ code: UNREAD, severity: 'unknown', statement, evidence }], facts, unread: why };
    }
    const groups = list(ctx.facts, 'redis.groups').map(Number);
    const isDir = ctx.facts['redis.aofIsDir'] === true;
    // Redis creates new files in the dir and renames them there (dir write), and reopens its incr
    // files for appending (file write); a base file or an old manifest is only read.
    const blocked = entries.filter((e, i) => {
      if (i === 0)
        return isDir ? !writeAccess(e, uid, gid, groups).canWrite : !fileWritable(e, uid, gid, groups);
      return /\.incr\.aof$/.test(e.path) && !fileWritable(e, uid, gid, groups);
    });
    evidence.push(`redis runs as ${uid}:${gid}`);
    const owner = `${top.uid}:${top.gid} mode ${modeString(top.mode)}`;
    const finding: Finding =
      blocked.length === 0
        ? {
            code: 'aof-dir-ok',
            severity: 'ok',
            statement: `The AOF at ${path} (${owner}) and its ${entries.length - 1} files are writable by Redis (${uid}:${gid})`,
            evidence,
          }
        : {
            code: 'aof-dir-unwritable',
            severity: 'critical',
            statement: `Redis (${uid}:${gid}) cannot write ${unwritable(blocked, path, entries.length - 1)} (the AOF at ${path} is ${owner}): it cannot create the next AOF file, so rewrites fail and its next start fails`,
            evidence,
          };
    return { findings: [finding], facts };
  },
  emits: ['aof-dir-ok', 'aof-dir-unwritable'],
  timeoutMs: 60_000,
});

function unwritable(blocked: readonly FileOwner[], path: string, files: number): string {
  const dir = blocked.some((b) => b.path === path);
  const n = blocked.length - (dir ? 1 : 0);
  const inIt = n === 0 ? '' : `${n} of its ${files} files`;
  if (!dir) return n === 1 ? (blocked[0]?.path ?? path) : inIt;
  return n === 0 ? path : `${path} and ${inIt}`;
}

/** The path a repair may chown: the one read, inside a data dir it may act on. */
export function aofRepairPath(
  path: string | undefined,
  isSafeDir: (d: string) => boolean,
): string | undefined {
  if (path === undefined) return undefined;
  const cut = path.lastIndexOf('/');
  const parent = path.slice(0, cut) || '/';
  return cut > 0 && SAFE_NAME.test(path.slice(cut + 1)) && isSafeDir(parent) ? path : undefined;
}

export const verifyBgrewriteaof = verify({
  id: 'verify-bgrewriteaof',
  title: 'BGREWRITEAOF is accepted',
  needs: ['verify-save-status', 'verify-ping'],
  when: aofOn,
  action: () => ({ kind: 'redis', place: redis, args: ['BGREWRITEAOF'] }),
  check: (r) => {
    const reply = classifyReply(r);
    // Scheduled: a save holds the fork, and the rewrite starts once it is done.
    const passed = /rewriting (started|scheduled)/i.test(r.stdout);
    return {
      passed,
      pending: reply.kind === 'loading' || /already in progress/i.test(allOutput(r)),
      statement: `BGREWRITEAOF → ${reply.line}`,
      evidence: [reply.line],
    };
  },
  timeoutMs: T,
  retry: { attempts: 10, delayMs: 500 },
});

export const verifyAofStatus = verify({
  id: 'verify-aof-status',
  title: 'The AOF rewrite and AOF writes succeed',
  needs: ['verify-bgrewriteaof'],
  when: aofOn,
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'persistence'] }),
  check: (r) => {
    const info = parseInfo(r.stdout);
    const busy = info.get('aof_rewrite_in_progress') === '1' || info.get('aof_rewrite_scheduled') === '1';
    const ok = info.get('aof_last_bgrewrite_status') === 'ok' && info.get('aof_last_write_status') === 'ok';
    return {
      passed: ok && !busy,
      pending: busy,
      statement: ok
        ? 'The AOF rewrite succeeded and AOF writes are ok'
        : 'The AOF rewrite or AOF writes still fail',
      evidence: [
        'aof_enabled',
        'aof_rewrite_in_progress',
        'aof_rewrite_scheduled',
        'aof_last_bgrewrite_status',
        'aof_last_write_status',
      ].map((k) => infoLine(info, k)),
    };
  },
  timeoutMs: T,
  retry: { attempts: 20, delayMs: 500 },
});

export const verifyAofOff = verify({
  id: 'verify-aof-off',
  title: 'AOF is off',
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'persistence'] }),
  check: (r) => {
    const info = parseInfo(r.stdout);
    const off = info.get('aof_enabled') === '0';
    return {
      passed: off,
      pending: info.get('aof_rewrite_in_progress') === '1',
      statement: off ? 'AOF is off (aof_enabled:0)' : 'AOF is still on',
      evidence: [infoLine(info, 'aof_enabled')],
    };
  },
  timeoutMs: T,
  retry: { attempts: 5, delayMs: 500 },
});
