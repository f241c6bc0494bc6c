// The ownership repairs of redis-permissions, one per place Redis can be (running container, exited
// container, host over SSH), and the risky fallback offered only when the fix did not verify.
import type { Action } from '../action.js';
import type { StepContext } from '../model.js';
import { chownTree, isSafeDataDir, num, realDirSafe, repairDirOf } from './facts.js';
import { besideRedis } from './permission-steps.js';
import { guarded } from './step-builders.js';

const redis = { at: 'redis' } as const;

/** chown -R to the Redis uid:gid, plus u+rwx only if the owner bits lack it. Never chmod 777. */
function ownershipFix(ctx: StepContext): Action[] | null {
  const uid = num(ctx.facts, 'redis.uid');
  const gid = num(ctx.facts, 'redis.gid');
  const mode = num(ctx.facts, 'dir.mode');
  if (uid === undefined || gid === undefined) return null;
  const dir = repairDirOf(ctx);
  if (dir === undefined || !isSafeDataDir(dir) || !realDirSafe(ctx)) return null;
  // -H: if the data dir is a symlink, the directory behind it is what Redis writes to.
  const actions = [besideRedis(ctx, chownTree(`${uid}:${gid}`, dir), 'root')];
  if (mode === undefined || (mode & 0o700) !== 0o700)
    actions.push(besideRedis(ctx, ['chmod', 'u+rwx', dir], 'root'));
  return actions;
}

const chownUndo = 'chown -R -h {dir.uid}:{dir.gid} {dir.path}/. (the owner it had before)';
// Whenever AOF is on (skipped otherwise): a rewrite of our own must succeed too.
const aofChecks = ['verify-bgrewriteaof', 'verify-aof-status'];
// Seed 000 step 5: the application answers again (skipped for clients with no health check).
const appChecks = ['verify-app-health-after-fix', 'verify-queue-moves'];
const stillUnwritable = { step: 'data-dir', findings: ['owner-mismatch', 'no-write-bit'] };
const repairDefaults = {
  risk: 'low' as const,
  undo: chownUndo,
  onSuccess: 'recheck',
  timeoutMs: 60_000,
};

export const permissionRepairs = [
  guarded({
    ...repairDefaults,
    id: 'chown-running',
    targetKinds: ['docker'],
    title: 'Give the data directory to the Redis user (exec as root in the running container)',
    gate: { id: 'approve-chown-running', title: 'Approve the ownership fix' },
    precondition: stillUnwritable,
    actions: ownershipFix,
    verify: ['verify-bgsave', 'verify-save-status', ...aofChecks, 'verify-write', ...appChecks],
    onFailure: 'choose-fallback',
  }),
  guarded({
    ...repairDefaults,
    id: 'chown-stopped',
    targetKinds: ['docker'],
    example: { 'redis.running': false },
    title: 'Give the data directory to the Redis user (helper container), then start Redis',
    gate: { id: 'approve-chown-stopped', title: 'Approve the ownership fix and start' },
    precondition: stillUnwritable,
    risk: 'medium',
    actions: (ctx) => {
      const fix = ownershipFix(ctx);
      return fix && [...fix, { kind: 'start', place: redis }];
    },
    verify: [
      'verify-running',
      'verify-ping',
      'verify-bgsave',
      'verify-save-status',
      ...aofChecks,
      'verify-write',
      ...appChecks,
    ],
    onFailure: 'escalate-repair-failed',
  }),
  guarded({
    ...repairDefaults,
    id: 'chown-host',
    targetKinds: ['ssh'],
    title: 'Give the data directory to the user Redis runs as (over SSH)',
    gate: { id: 'approve-chown-host', title: 'Approve the ownership fix over SSH' },
    precondition: stillUnwritable,
    actions: ownershipFix,
    verify: [
      'verify-ping',
      'verify-bgsave',
      'verify-save-status',
      ...aofChecks,
      'verify-write',
      ...appChecks,
    ],
    onFailure: 'choose-fallback',
  }),
  guarded({
    ...repairDefaults,
    id: 'disable-stop-writes',
    title: 'Fallback: accept writes while saves fail (CONFIG SET stop-writes-on-bgsave-error no)',
    gate: { id: 'approve-fallback', title: 'Approve the risky fallback', onReject: 'escalate-repair-failed' },
    risk: 'high',
    actions: () => [
      { kind: 'redis', place: redis, args: ['CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no'] },
    ],
    verify: ['verify-write'],
    undo: 'redis-cli CONFIG SET stop-writes-on-bgsave-error yes, once background saves succeed again',
    onSuccess: 'mitigated',
    onFailure: 'escalate-repair-failed',
  }),
];
