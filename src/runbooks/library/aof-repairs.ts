// Seed 001's repairs: give the AOF back to the user Redis runs as, and the seed's fallback when that
// does not verify: turn AOF off (`CONFIG SET appendonly no`). `stop-writes-on-bgsave-error no` only
// helps RDB, so which fallback is offered follows the fault that was found.
import type { Action } from '../action.js';
import type { Condition, Step, StepContext } from '../model.js';
import { aofRepairPath } from './aof-steps.js';
import { chownTree, isSafeDataDir, num, str } from './facts.js';
import { besideRedis } from './permission-steps.js';
import { guarded, outcome } from './step-builders.js';

const redis = { at: 'redis' } as const;
const f = (finding: string): Condition => ({ finding });

export const aofFailing: Condition = {
  any: ['aof-write-failing', 'aof-rewrite-failing', 'aof-permission-denied', 'aof-dir-unwritable'].map(f),
};
const rdbFailing: Condition = { any: ['bgsave-failing', 'rdb-permission-denied'].map(f) };

function aofOwnershipFix(ctx: StepContext): Action[] | null {
  const uid = num(ctx.facts, 'redis.uid');
  const gid = num(ctx.facts, 'redis.gid');
  const path = aofRepairPath(str(ctx.facts, 'aof.path'), isSafeDataDir);
  // A symlinked appendonlydir is chowned through: where it leads must be a dir we may act on too.
  const real = str(ctx.facts, 'aof.real');
  if (real !== undefined && aofRepairPath(real, isSafeDataDir) === undefined) return null;
  if (uid === undefined || gid === undefined || path === undefined) return null;
  const actions = [besideRedis(ctx, chownTree(`${uid}:${gid}`, path), 'root')];
  const mode = num(ctx.facts, 'aof.mode');
  if (ctx.facts['redis.aofIsDir'] === true && (mode === undefined || (mode & 0o700) !== 0o700))
    actions.push(besideRedis(ctx, ['chmod', 'u+rwx', path], 'root'));
  return actions;
}

export const aofRepairs: Step[] = [
  ...guarded({
    id: 'chown-aof',
    title: 'Give the AOF directory and its files to the Redis user (as root beside Redis)',
    gate: { id: 'approve-chown-aof', title: 'Approve the AOF ownership fix' },
    precondition: { step: 'aof-dir', findings: ['aof-dir-unwritable'] },
    risk: 'low',
    actions: aofOwnershipFix,
    verify: [
      'verify-ping',
      'verify-bgrewriteaof',
      'verify-aof-status',
      'verify-write',
      'verify-app-health-after-fix',
    ],
    undo: 'chown -R -h {aof.uid}:{aof.gid} {aof.path}/. (the owner it had before)',
    onSuccess: 'recheck',
    onFailure: 'approve-aof-fallback',
    timeoutMs: 60_000,
  }),
  {
    kind: 'decide',
    id: 'choose-fallback',
    title: 'Fallback that matches the fault',
    // Turning AOF off does nothing for a failing RDB save, and stop-writes for nothing of the AOF.
    branches: [{ when: { all: [aofFailing, { not: rdbFailing }] }, to: 'approve-aof-fallback' }],
    default: 'approve-fallback',
  },
  ...guarded({
    id: 'disable-aof',
    title:
      'Fallback: turn AOF off so Redis no longer writes to the unwritable AOF (CONFIG SET appendonly no)',
    gate: {
      id: 'approve-aof-fallback',
      title: 'Approve the risky AOF fallback',
      onReject: 'escalate-repair-failed',
    },
    risk: 'high',
    actions: () => [{ kind: 'redis', place: redis, args: ['CONFIG', 'SET', 'appendonly', 'no'] }],
    verify: ['verify-aof-off', 'verify-write'],
    undo: 'redis-cli CONFIG SET appendonly yes, once the AOF directory belongs to the Redis user again (Redis rewrites the AOF from memory)',
    onSuccess: 'mitigated-aof',
    onFailure: 'escalate-repair-failed',
    timeoutMs: 60_000,
  }),
  outcome(
    'mitigated-aof',
    'escalated',
    'AOF is off (CONFIG SET appendonly no), so Redis no longer depends on the unwritable AOF; only RDB snapshots, if configured, protect the data now. The change is not in redis.conf: the next start turns AOF on again and fails the same way until a person gives the AOF directory to the Redis user.',
  ),
];
