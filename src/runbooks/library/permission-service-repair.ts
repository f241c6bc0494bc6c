// Seed 003's fix: the service runs as its own user again, set by a drop-in (never an edit of the
// packaged unit), and the data dir, its files and the log dir belong to that user.

import type { Action } from '../action.js';
import { infoLine, infoNumber, parseInfo } from '../analyzers/redis-info.js';
import type { StepContext } from '../model.js';
import { allOutput } from '../result.js';
import { verify } from './common-steps.js';
import {
  chownTree,
  dropInPath,
  isSafeDataDir,
  logDirOf,
  num,
  realDirSafe,
  repairDirOf,
  str,
  UNIT_NAME,
  USER_NAME,
  unitOf,
} from './facts.js';
import { guarded } from './step-builders.js';

const redis = { at: 'redis' } as const;
const T = 15_000;
const asRoot = (argv: string[]): Action => ({ kind: 'exec', place: redis, argv, user: 'root' });
// The content is fixed here; only the two checked names come in, as arguments.
const WRITE_DROP_IN = 'umask 022; printf "[Service]\\nUser=%s\\nGroup=%s\\n" "$1" "$2" >"$3"';

/**
 * The argv of the repair, or null when any value it needs was not read or has not the shape it must.
 * Order matters: Redis saves on stop, as the user it still runs as, and refuses to stop while that
 * save fails (Debian's unit waits forever: TimeoutStopSec=0). So the dir first goes to the running
 * user for that last save, which keeps every write; then the service user gets it all before start.
 */
export function serviceUserFix(ctx: StepContext): Action[] | null {
  const unit = unitOf(ctx);
  const user = str(ctx.facts, 'service.user');
  const group = str(ctx.facts, 'service.group');
  const runUid = num(ctx.facts, 'redis.uid');
  const runGid = num(ctx.facts, 'redis.gid');
  const dir = repairDirOf(ctx);
  if (!unit || !UNIT_NAME.test(unit) || !user || !group || !USER_NAME.test(user) || !USER_NAME.test(group))
    return null;
  if (runUid === undefined || runGid === undefined || dir === undefined || !isSafeDataDir(dir)) return null;
  if (!realDirSafe(ctx)) return null;
  const path = dropInPath(unit);
  const owner = `${user}:${group}`;
  const log = logDirOf(ctx);
  return [
    asRoot(chownTree(`${runUid}:${runGid}`, dir)),
    asRoot(['install', '-d', '-m', '0755', path.slice(0, path.lastIndexOf('/'))]),
    asRoot(['sh', '-c', WRITE_DROP_IN, 'sh', user, group, path]),
    asRoot(['systemctl', 'daemon-reload']),
    asRoot(['systemctl', 'stop', '--', unit]),
    asRoot(chownTree(owner, dir)),
    ...(log ? [asRoot(chownTree(owner, log))] : []),
    asRoot(['systemctl', 'start', '--', unit]),
  ];
}

export const serviceUserRepair = guarded({
  id: 'service-user-unit',
  targetKinds: ['ssh'],
  example: {
    'service.user': 'redis',
    'service.group': 'redis',
    'redis.uid': 1000,
    'redis.gid': 1000,
    'redis.dir': '/var/lib/redis',
    'redis.logfile': '/var/log/redis/redis-server.log',
  },
  title:
    "Run the service as its own user again: a drop-in with User=/Group=, daemon-reload, stop (Redis's last save still as the old user), give the data and log dirs to the service user, start",
  gate: { id: 'approve-service-user', title: 'Approve the service user fix (restarts Redis)' },
  precondition: { step: 'service-user', findings: ['service-runs-as-other'] },
  risk: 'medium',
  actions: serviceUserFix,
  verify: [
    'verify-service-user',
    'verify-ping',
    'verify-bgsave',
    'verify-save-status',
    'verify-lastsave',
    'verify-dump-owner',
    'verify-write',
    'verify-app-health-after-fix',
  ],
  undo: '{service.undo}',
  onSuccess: 'recheck',
  onFailure: 'escalate-repair-failed',
  timeoutMs: 120_000,
});

export const verifyServiceUser = verify({
  id: 'verify-service-user',
  title: 'The unit runs Redis as the service user (ps of its MainPID)',
  action: (ctx) => {
    const unit = unitOf(ctx);
    const script = 'pid=$(systemctl show -p MainPID --value -- "$1") && ps -o user=,group=,pid= -p "$pid"';
    return unit ? { kind: 'exec', place: redis, argv: ['sh', '-c', script, 'sh', unit] } : null;
  },
  check: (r, ctx) => {
    const want = `${str(ctx.facts, 'service.user')} ${str(ctx.facts, 'service.group')}`;
    const m = /^\s*(\S+)\s+(\S+)\s+(\d+)\s*$/m.exec(r.stdout);
    const got = m ? `${m[1]} ${m[2]}` : undefined;
    return {
      passed: got === want,
      // Just after the start systemd may not have a MainPID yet.
      pending: got === undefined,
      statement: got
        ? `Redis (pid ${m?.[3]}) runs as ${got.replace(' ', ':')}`
        : 'No Redis process for the unit yet',
      evidence: [allOutput(r).trim().slice(0, 200)],
    };
  },
  timeoutMs: T,
  retry: { attempts: 10, delayMs: 500 },
});

export const verifyLastSave = verify({
  id: 'verify-lastsave',
  title: 'LASTSAVE advanced past the one read in diagnosis, with a successful save since the start',
  needs: ['verify-save-status'],
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'persistence'] }),
  check: (r, ctx) => {
    const info = parseInfo(r.stdout);
    const before = num(ctx.facts, 'persistence.lastSave');
    const last = infoNumber(info, 'rdb_last_save_time');
    const saves = infoNumber(info, 'rdb_saves');
    // Without the diagnosis's reading there is nothing to have advanced past: only a save counted
    // since the restart (rdb_saves, 7.0+) shows one succeeded.
    const advanced = last !== undefined && (before === undefined ? saves !== undefined : last > before);
    const passed = advanced && (saves === undefined || saves > 0);
    const was = before === undefined ? 'unread in diagnosis' : String(before);
    return {
      passed,
      pending: !passed,
      statement: passed
        ? `LASTSAVE ${last}, after ${was}`
        : `LASTSAVE ${last ?? '?'} has not been seen to move past ${was}`,
      evidence: [infoLine(info, 'rdb_last_save_time'), infoLine(info, 'rdb_saves'), `before: ${was}`],
    };
  },
  timeoutMs: T,
  retry: { attempts: 10, delayMs: 500 },
});

export const verifyDumpOwner = verify({
  id: 'verify-dump-owner',
  title: 'The new dump.rdb belongs to the service user',
  needs: ['verify-lastsave'],
  action: (ctx) => {
    const dir = repairDirOf(ctx);
    return dir
      ? { kind: 'exec', place: redis, argv: ['stat', '-c', '%U %G %Y %n', `${dir}/dump.rdb`], user: 'root' }
      : null;
  },
  check: (r, ctx) => {
    const m = /^(\S+) (\S+) (\d+) (\S+)$/m.exec(r.stdout);
    const want = `${str(ctx.facts, 'service.user')}:${str(ctx.facts, 'service.group')}`;
    const got = m ? `${m[1]}:${m[2]}` : undefined;
    return {
      passed: got === want,
      statement: got ? `${m?.[4]} belongs to ${got} (modified at ${m?.[3]})` : 'dump.rdb could not be read',
      evidence: [allOutput(r).trim().slice(0, 200)],
    };
  },
  timeoutMs: T,
});
