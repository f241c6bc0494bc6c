import type { Action } from '../action.js';
import type { Condition, RepairStep, Runbook, StepContext } from '../model.js';
import { containerStep, logsStep, persistenceStep, pingStep, serverStep } from './common-steps.js';
import { dataDirOf, isSafeDataDir, num } from './facts.js';
import {
  besideRedis,
  configStep,
  dataDirStep,
  diskStep,
  imageUserStep,
  processOwnerStep,
} from './permission-steps.js';
import { gate, outcome } from './step-builders.js';
import { verifyBgsave, verifyPing, verifyRunning, verifySaveStatus, verifyWrite } from './verify-steps.js';

const redis = { at: 'redis' } as const;

/** chown -R to the Redis uid:gid, plus u+rwx only if the owner bits lack it. Never chmod 777. */
function ownershipFix(ctx: StepContext): Action[] | null {
  const uid = num(ctx.facts, 'redis.uid');
  const gid = num(ctx.facts, 'redis.gid');
  const mode = num(ctx.facts, 'dir.mode');
  if (uid === undefined || gid === undefined) return null;
  const dir = dataDirOf(ctx);
  if (!isSafeDataDir(dir)) return null;
  const actions = [besideRedis(ctx, ['chown', '-R', `${uid}:${gid}`, dir], 'root')];
  if (mode === undefined || (mode & 0o700) !== 0o700)
    actions.push(besideRedis(ctx, ['chmod', 'u+rwx', dir], 'root'));
  return actions;
}

const dirFault: Condition = { any: [{ finding: 'owner-mismatch' }, { finding: 'no-write-bit' }] };
const docker: Condition = { targetKind: 'docker' };
const runningRedis: Condition = { fact: 'redis.running', equals: true };

const chownCommands = [
  'chown -R <redis uid>:<redis gid> <data dir>',
  'chmod u+rwx <data dir> (only if the owner lacks it)',
];
const chownUndo = 'chown -R {dir.uid}:{dir.gid} {dir.path} (the owner it had before)';
const stillUnwritable = { step: 'data-dir', findings: ['owner-mismatch', 'no-write-bit'] };
const repairDefaults = {
  kind: 'repair' as const,
  risk: 'low' as const,
  undo: chownUndo,
  onSuccess: 'resolved',
  timeoutMs: 60_000,
};

const repairs: RepairStep[] = [
  {
    ...repairDefaults,
    id: 'chown-running',
    title: 'Give the data directory to the Redis user (exec as root in the running container)',
    approval: 'approve-chown-running',
    precondition: stillUnwritable,
    commands: chownCommands.map((c) => `docker exec -u root <redis container> ${c}`),
    actions: ownershipFix,
    verify: ['verify-bgsave', 'verify-save-status', 'verify-write'],
    onFailure: 'approve-fallback',
  },
  {
    ...repairDefaults,
    id: 'chown-stopped',
    title: 'Give the data directory to the Redis user (helper container), then start Redis',
    approval: 'approve-chown-stopped',
    precondition: stillUnwritable,
    risk: 'medium',
    commands: [
      ...chownCommands.map((c) => `docker run --rm --volumes-from <redis container> -u root <image> ${c}`),
      'docker start <redis container>',
    ],
    actions: (ctx) => {
      const fix = ownershipFix(ctx);
      return fix && [...fix, { kind: 'start', place: redis }];
    },
    verify: ['verify-running', 'verify-ping', 'verify-bgsave', 'verify-save-status', 'verify-write'],
    onFailure: 'escalate-repair-failed',
  },
  {
    ...repairDefaults,
    id: 'chown-host',
    title: 'Give the data directory to the user Redis runs as (over SSH)',
    approval: 'approve-chown-host',
    precondition: stillUnwritable,
    commands: chownCommands.map((c) => `ssh <host> -- ${c}`),
    actions: ownershipFix,
    verify: ['verify-ping', 'verify-bgsave', 'verify-save-status', 'verify-write'],
    onFailure: 'approve-fallback',
  },
  {
    ...repairDefaults,
    id: 'disable-stop-writes',
    title: 'Fallback: accept writes while saves fail (CONFIG SET stop-writes-on-bgsave-error no)',
    approval: 'approve-fallback',
    risk: 'high',
    commands: ['redis-cli CONFIG SET stop-writes-on-bgsave-error no'],
    actions: () => [
      { kind: 'redis', place: redis, args: ['CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no'] },
    ],
    verify: ['verify-write'],
    undo: 'redis-cli CONFIG SET stop-writes-on-bgsave-error yes, once background saves succeed again',
    onSuccess: 'mitigated',
    onFailure: 'escalate-repair-failed',
  },
];

const ownershipPrevention = [
  'Check the data directory against the UID Redis runs as before starting it (999:999 for the official image); fail the start, do not carry on (seed 001: preflight check).',
  'Document the UID each containerised service expects for its volumes (seed 000).',
  'Prefer named volumes to host bind mounts so the engine sets ownership (seed 000).',
  'Alert on "Permission denied" and "Background saving error" in Redis logs and on rdb_last_bgsave_status:err (seeds 000, 003).',
  'Run Redis as the package system user (redis:redis, no login shell) and keep the unit file, playbooks and start scripts in agreement on it (seed 003).',
  'Never "fix" ownership with chmod 777: give the directory to the Redis user (seed 000).',
];

export const redisPermissions: Runbook = {
  id: 'redis-permissions',
  title: 'Redis cannot persist (RDB/AOF permission denied, MISCONF)',
  summary:
    'Finds why Redis cannot write its RDB snapshot or AOF: data directory owner against the Redis user, missing write bit, full disk or read-only filesystem; repairs ownership with least privilege after approval.',
  targetKinds: ['docker', 'ssh'],
  afterDiagnosis: 'triage',
  steps: [
    containerStep,
    logsStep,
    pingStep,
    serverStep,
    persistenceStep,
    configStep,
    processOwnerStep,
    imageUserStep,
    dataDirStep,
    diskStep,
    {
      kind: 'decide',
      id: 'triage',
      title: 'Root cause',
      branches: [
        { when: { finding: 'disk-full' }, to: 'escalate-disk', cause: 'disk-full' },
        { when: { finding: 'read-only-fs' }, to: 'escalate-rofs', cause: 'read-only-fs' },
        {
          when: { all: [{ finding: 'owner-mismatch' }, docker, runningRedis] },
          to: 'approve-chown-running',
          cause: 'owner-mismatch',
        },
        {
          when: { all: [{ finding: 'no-write-bit' }, docker, runningRedis] },
          to: 'approve-chown-running',
          cause: 'no-write-bit',
        },
        {
          when: { all: [{ finding: 'owner-mismatch' }, docker] },
          to: 'approve-chown-stopped',
          cause: 'owner-mismatch',
        },
        {
          when: { all: [{ finding: 'no-write-bit' }, docker] },
          to: 'approve-chown-stopped',
          cause: 'no-write-bit',
        },
        {
          when: { all: [{ finding: 'owner-mismatch' }, { targetKind: 'ssh' }] },
          to: 'approve-chown-host',
          cause: 'owner-mismatch',
        },
        { when: { all: [dirFault, { targetKind: 'ssh' }] }, to: 'approve-chown-host', cause: 'no-write-bit' },
        {
          when: {
            any: [
              'bgsave-failing',
              'aof-write-failing',
              'rdb-permission-denied',
              'aof-permission-denied',
              'misconf',
              'bgsave-error-logged',
            ].map((finding) => ({ finding })),
          },
          to: 'escalate-unexplained',
          cause: 'persistence-unexplained',
        },
      ],
      default: 'no-fault',
    },
    gate('approve-chown-running', 'Approve the ownership fix', 'chown-running'),
    gate('approve-chown-stopped', 'Approve the ownership fix and start', 'chown-stopped'),
    gate('approve-chown-host', 'Approve the ownership fix over SSH', 'chown-host'),
    gate('approve-fallback', 'Approve the risky fallback', 'disable-stop-writes', 'escalate-repair-failed'),
    ...repairs,
    verifyRunning,
    verifyPing,
    verifyBgsave,
    verifySaveStatus,
    verifyWrite,
    outcome('resolved', 'resolved', 'Redis persists again: BGSAVE succeeds and writes are accepted.'),
    outcome(
      'no-fault',
      'no-fault',
      'No persistence fault found: saves succeed, the data directory is writable by Redis, the disk has room.',
    ),
    outcome('rejected', 'rejected', 'The repair was rejected; nothing was changed.'),
    outcome('expired', 'expired', 'Nobody decided before the approval expired; nothing was changed.'),
    outcome(
      'escalate-disk',
      'escalated',
      'The disk holding the data directory is full. Free space or grow the volume; no automatic repair.',
    ),
    outcome(
      'escalate-rofs',
      'escalated',
      'The data directory is on a read-only filesystem. Find out why it was remounted read-only; no automatic repair.',
    ),
    outcome(
      'escalate-unexplained',
      'escalated',
      'Persistence is failing but ownership, mode and disk look right. A person must look further.',
    ),
    outcome(
      'escalate-repair-failed',
      'escalated',
      'The repair did not make persistence work again. A person must take over.',
    ),
    outcome(
      'mitigated',
      'escalated',
      'Writes are accepted again with stop-writes-on-bgsave-error no, but snapshots still fail: data is at risk until a person fixes the data directory.',
    ),
  ],
  causes: {
    'owner-mismatch': {
      title: 'The data directory is owned by another user than the one Redis runs as',
      evidence: [
        'owner-mismatch',
        'rdb-permission-denied',
        'aof-permission-denied',
        'bgsave-failing',
        'bgsave-error-logged',
        'misconf',
        'container-not-running',
        'service-user-mismatch',
        'redis-user',
      ],
      prevention: ownershipPrevention,
    },
    'no-write-bit': {
      title: 'The data directory belongs to the Redis user but has no write bit',
      evidence: [
        'no-write-bit',
        'rdb-permission-denied',
        'aof-permission-denied',
        'bgsave-failing',
        'misconf',
        'container-not-running',
        'redis-user',
      ],
      prevention: ownershipPrevention,
    },
    'disk-full': {
      title: 'The disk holding the data directory is full',
      evidence: ['disk-full', 'bgsave-failing', 'bgsave-error-logged'],
      prevention: [
        'Alert on free space of the Redis data volume well before it is full.',
        'If Redis cannot be restarted, check disk space and system resources first (seed 004).',
      ],
    },
    'read-only-fs': {
      title: 'The data directory is on a read-only filesystem',
      evidence: ['read-only-fs', 'bgsave-failing'],
      prevention: [
        'Alert on filesystems remounted read-only (kernel storage errors) before services start failing.',
      ],
    },
    'persistence-unexplained': {
      title: 'Persistence fails for a reason the runbook does not recognise',
      evidence: [
        'bgsave-failing',
        'aof-write-failing',
        'rdb-permission-denied',
        'aof-permission-denied',
        'misconf',
        'bgsave-error-logged',
        'data-dir-ok',
      ],
      prevention: ['Add the new failure to this runbook once it is understood.'],
    },
  },
};
