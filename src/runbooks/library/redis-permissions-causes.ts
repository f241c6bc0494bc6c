import type { Cause } from '../model.js';
import { notServingCauses } from './not-serving.js';

// The causes redis-permissions can name, each with the finding codes that are its evidence and what
// prevents it next time; the seed documents are cited where a measure comes from one.
const ownershipPrevention = [
  'Check the data directory against the UID Redis runs as before starting it (999:999 for the official image); fail the start, do not carry on (a preflight check).',
  'Document the UID each containerised service expects for its volumes.',
  'Prefer named volumes to host bind mounts so the engine sets ownership.',
  'Alert on "Permission denied" and "Background saving error" in Redis logs and on rdb_last_bgsave_status:err.',
  'Run Redis as the package system user (redis:redis, no login shell) and keep the unit file, playbooks and start scripts in agreement on it.',
  'Never "fix" ownership with chmod 777: give the directory to the Redis user.',
];

export const permissionCauses: Record<string, Cause> = {
  ...notServingCauses,
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
  'service-user': {
    title: 'The service runs as another user than its own, over files that belong to its own user',
    evidence: [
      'service-runs-as-other',
      'unit-read',
      'owner-mismatch',
      'rdb-permission-denied',
      'bgsave-failing',
      'bgsave-error-logged',
      'misconf',
      'redis-user',
      'service-user-mismatch',
    ],
    prevention: [
      'Run Redis as the package system user (redis:redis, no login shell); set it in one place, a drop-in of the unit, never by editing the packaged unit.',
      'Keep the unit, the deployment playbooks and the start scripts in agreement on that user; a start script that chowns to another user than the unit runs as brings the fault back.',
      'Alert on "Permission denied" and "Background saving error" in the journal of the unit and on rdb_last_bgsave_status:err.',
    ],
  },
  'service-user-missing': {
    title: 'The service user Redis should run as does not exist on the host',
    evidence: ['service-user-missing', 'owner-mismatch', 'bgsave-failing'],
    prevention: ['Use the user the redis package creates (redis); do not invent one in playbooks.'],
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
      'If Redis cannot be restarted, check disk space and system resources first.',
    ],
  },
  'read-only-fs': {
    title: 'The data directory is on a read-only filesystem',
    evidence: ['read-only-fs', 'bgsave-failing'],
    prevention: [
      'Alert on filesystems remounted read-only (kernel storage errors) before services start failing.',
    ],
  },
  'auth-refused': {
    title: "Redis refuses the bot's credentials",
    evidence: ['auth-refused'],
    prevention: ['Give the bot and the clients their credentials from one secret.'],
  },
  'container-stopped': {
    title: 'The Redis container is not running',
    evidence: ['container-not-running'],
    prevention: ['Give the container a restart policy and a healthcheck.'],
  },
  'redis-down': {
    title: 'Redis does not answer PING properly',
    evidence: ['redis-not-listening', 'ping-failed', 'master-down'],
    prevention: ['Alert on redis_up.'],
  },
  maxmemory: {
    title: 'Redis reached maxmemory with noeviction and refuses writes',
    evidence: ['maxmemory-reached'],
    prevention: ['Alert at 80% of maxmemory.'],
  },
  'aof-dir-owner': {
    title: 'The AOF directory (or files in it) is owned by another user than the one Redis runs as',
    evidence: [
      'aof-dir-unwritable',
      'aof-rewrite-failing',
      'aof-write-failing',
      'aof-permission-denied',
      'data-dir-ok',
      'redis-user',
    ],
    prevention: [
      ...ownershipPrevention,
      'Track aof_last_write_status and aof_last_bgrewrite_status (redis_exporter exports both) and alert on err: a running Redis keeps writing to its open AOF file, so only the rewrite and the next start show the fault (seed 001).',
    ],
  },
  'latent-dir': {
    title: 'The data directory is not writable by Redis, but persistence does not fail now',
    evidence: ['owner-mismatch', 'no-write-bit', 'aof-dir-unwritable', 'persistence-off', 'persistence-ok'],
    prevention: ownershipPrevention,
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
};
