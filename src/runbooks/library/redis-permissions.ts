import type { Condition, Runbook } from '../model.js';
import { aofRepairs } from './aof-repairs.js';
import { aofDirStep, verifyAofOff, verifyAofStatus, verifyBgrewriteaof } from './aof-steps.js';
import { appHealthStep, httpToolStep } from './app-health-steps.js';
import { verifyAppHealth, verifyAppHealthAfterFix } from './app-health-verify.js';
import { appHealthBranches, appHealthCauses, appHealthOutcomes, appRestartRepair } from './app-repairs.js';
import { containerStep, logsStep, serverStep } from './common-steps.js';
import { memoryStep } from './connectivity-steps.js';
import { diskStep } from './disk-step.js';
import { clientFact } from './facts.js';
import { hostMemoryStep } from './host-memory-step.js';
import { notServingBranches } from './not-serving.js';
import { permissionEndings } from './permission-endings.js';
import { permissionRepairs as repairs } from './permission-repairs.js';
import {
  serviceUserRepair,
  verifyDumpOwner,
  verifyLastSave,
  verifyServiceUser,
} from './permission-service-repair.js';
import { serviceFilesStep, serviceUnitStep, serviceUserStep } from './permission-service-steps.js';
import { configStep, dataDirStep, imageUserStep, processOwnerStep } from './permission-steps.js';
import { persistenceStep } from './persistence-step.js';
import { pingStep } from './ping-step.js';
import { queueCountsStep, verifyQueueMoves } from './queue-steps.js';
import { permissionCauses } from './redis-permissions-causes.js';
import { healthy, outcome, undecided } from './step-builders.js';
import { verifyBgsave, verifyPing, verifyRunning, verifySaveStatus, verifyWrite } from './verify-steps.js';

const dirFault: Condition = { any: [{ finding: 'owner-mismatch' }, { finding: 'no-write-bit' }] };
const docker: Condition = { targetKind: 'docker' };
const runningRedis: Condition = { fact: 'redis.running', equals: true };
const exitedRedis: Condition = { fact: 'redis.running', equals: false };
const f = (finding: string): Condition => ({ finding });
// Persistence is failing now. For a Redis that runs, INFO says so (a line logged earlier in the same
// run may be from before a fix); for one that exited, its last start's log lines are all there is.
// An unwritable dir is repaired only then; while persistence works (or is off) it is latent.
const liveFailing: Condition = {
  any: ['bgsave-failing', 'aof-write-failing', 'aof-rewrite-failing', 'misconf'].map(f),
};
const lastStartFailed = (...codes: string[]): Condition => ({
  all: [f('container-not-running'), { any: codes.map(f) }],
});
const persistenceFailing: Condition = {
  any: [liveFailing, lastStartFailed('rdb-permission-denied', 'aof-permission-denied')],
};
const actNow = (...more: Condition[]): Condition => ({ all: [dirFault, persistenceFailing, ...more] });

const diagnosis = [
  containerStep,
  logsStep,
  pingStep,
  serverStep,
  persistenceStep,
  memoryStep,
  configStep,
  processOwnerStep,
  imageUserStep,
  dataDirStep,
  aofDirStep,
  diskStep,
  hostMemoryStep,
  serviceUnitStep,
  serviceFilesStep,
  serviceUserStep,
  // Seed 000 ends on the application: its health check, and the queues a MISCONF stalls.
  httpToolStep,
  appHealthStep,
  queueCountsStep,
];

// A healthy Redis runs: every check but the one for a container that exited must have looked (and
// the owners listing, which only serves the undo of a repair).
const healthRestsOn = diagnosis.filter((d) => d !== imageUserStep && d !== serviceFilesStep);
const ssh: Condition = { targetKind: 'ssh' };
// Seed 003: Redis runs as another user than its service's: the fix goes on the unit, not the dir.
const serviceCause = f('service-runs-as-other');
const notTheService: Condition = { not: { any: [serviceCause, f('service-user-missing')] } };
// Seed 001 on a running Redis: the data dir is fine, appendonlydir (or its files) is not.
const aofDirFault = f('aof-dir-unwritable');
const anyDirFault: Condition = { any: [dirFault, aofDirFault] };

export const redisPermissions: Runbook = {
  id: 'redis-permissions',
  title: 'Redis cannot persist (RDB/AOF permission denied, MISCONF)',
  summary:
    'Finds why Redis cannot write its RDB snapshot or AOF: data directory owner against the Redis user, missing write bit, full disk or read-only filesystem, or a service that runs as another user than its own (systemd, over SSH); repairs ownership with least privilege, or the User=/Group= of the service by a drop-in, after approval.',
  targetKinds: ['docker', 'ssh'],
  afterDiagnosis: 'triage',
  // For listings: the seed-000 values (Redis 999 over a dir of 1001, mode 0755).
  example: {
    'redis.pid': '<pid>',
    'redis.uid': 999,
    'redis.gid': 999,
    'redis.groups': ['999'],
    'redis.running': true,
    'redis.user': 'redis',
    'redis.dir': '/data',
    'dir.path': '/data',
    'dir.uid': 1001,
    'dir.gid': 1001,
    'dir.mode': 0o755,
    'redis.aofPath': '/data/appendonlydir',
    'redis.aofIsDir': true,
    'aof.path': '/data/appendonlydir',
    'aof.mode': 0o755,
    [clientFact('<client>', 'httpTool')]: 'curl',
  },
  steps: [
    ...diagnosis,
    {
      kind: 'decide',
      id: 'triage',
      title: 'Root cause',
      // Order is priority: what makes every other reading moot first, then what cannot be repaired
      // here, then the repairs, then what belongs to the other runbook.
      branches: [
        ...notServingBranches,
        { when: f('auth-refused'), to: 'escalate-auth', cause: 'auth-refused' },
        { when: f('disk-full'), to: 'escalate-disk', cause: 'disk-full' },
        { when: f('read-only-fs'), to: 'escalate-rofs', cause: 'read-only-fs' },
        // Each cause once, exclusive of the others: the triage records every branch that holds.
        {
          when: actNow(f('owner-mismatch'), docker, runningRedis),
          to: 'approve-chown-running',
          cause: 'owner-mismatch',
        },
        {
          when: actNow(f('no-write-bit'), docker, runningRedis),
          to: 'approve-chown-running',
          cause: 'no-write-bit',
        },
        {
          when: actNow(f('owner-mismatch'), docker, exitedRedis),
          to: 'approve-chown-stopped',
          cause: 'owner-mismatch',
        },
        {
          when: actNow(f('no-write-bit'), docker, exitedRedis),
          to: 'approve-chown-stopped',
          cause: 'no-write-bit',
        },
        {
          when: actNow(serviceCause, f('unit-read'), ssh),
          to: 'approve-service-user',
          cause: 'service-user',
        },
        {
          when: actNow(serviceCause, { not: f('unit-read') }, ssh),
          to: 'escalate-service-unit',
          cause: 'service-user',
        },
        {
          when: actNow(f('service-user-missing'), ssh),
          to: 'escalate-no-service-user',
          cause: 'service-user-missing',
        },
        {
          when: actNow(f('owner-mismatch'), ssh, notTheService),
          to: 'approve-chown-host',
          cause: 'owner-mismatch',
        },
        {
          when: actNow(f('no-write-bit'), ssh, notTheService),
          to: 'approve-chown-host',
          cause: 'no-write-bit',
        },
        {
          when: {
            all: [
              aofDirFault,
              liveFailing,
              { not: dirFault },
              { not: f('container-not-running') },
              notTheService,
            ],
          },
          to: 'approve-chown-aof',
          cause: 'aof-dir-owner',
        },
        // Exited with no persistence error at its last start: starting it is the other runbook's repair.
        {
          when: { all: [f('container-not-running'), { not: persistenceFailing }] },
          to: 'hand-over-stopped',
          cause: 'container-stopped',
        },
        {
          when: { any: [f('redis-not-listening'), f('ping-failed'), f('master-down')] },
          to: 'escalate-down',
          cause: 'redis-down',
        },
        { when: f('maxmemory-reached'), to: 'hand-over', cause: 'maxmemory' },
        {
          when: {
            all: [
              {
                any: [
                  liveFailing,
                  lastStartFailed(
                    'rdb-permission-denied',
                    'aof-permission-denied',
                    'bgsave-error-logged',
                    'persistence-error-logged',
                  ),
                ],
              },
              { not: anyDirFault },
            ],
          },
          to: 'escalate-unexplained',
          cause: 'persistence-unexplained',
        },
        { when: { all: [anyDirFault, { not: persistenceFailing }] }, to: 'latent', cause: 'latent-dir' },
        ...appHealthBranches,
      ],
      default: 'no-fault',
    },
    ...repairs.flat(),
    ...serviceUserRepair,
    ...aofRepairs,
    ...appRestartRepair,
    { kind: 'recheck', id: 'recheck', title: 'Look again after the repair', maxVisits: 4 },
    verifyRunning,
    verifyPing,
    verifyBgsave,
    verifySaveStatus,
    verifyWrite,
    verifyBgrewriteaof,
    verifyAofStatus,
    verifyAofOff,
    verifyAppHealthAfterFix,
    verifyAppHealth,
    verifyQueueMoves,
    verifyServiceUser,
    verifyLastSave,
    verifyDumpOwner,
    outcome('resolved', 'resolved', 'Redis persists again: BGSAVE succeeds and writes are accepted.'),
    healthy(
      'no-fault',
      'No persistence fault found: saves succeed, the data directory is writable by Redis, the disk has room.',
      healthRestsOn,
    ),
    healthy(
      'latent',
      'Persistence works now, but the data directory is not writable by the user Redis runs as: saves will fail once persistence is used (turned on, or the first save point is reached). No repair is proposed while nothing fails; fix the ownership in the deployment.',
      healthRestsOn,
    ),
    ...undecided(),
    ...permissionEndings,
    ...appHealthOutcomes,
  ],
  causes: { ...permissionCauses, ...appHealthCauses },
};
