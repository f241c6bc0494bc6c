import type { Cause } from '../model.js';
import { notServingCauses } from './not-serving.js';

// The causes redis-permissions can name, each with the finding codes that are its evidence and what
// prevents it next time; the seed documents are cited where a measure comes from one.
const ownershipPrevention = [
  'Check the data directory against the UID Redis runs as before starting it (999:999 for the official image); fail the start, do not carry on (seed 001: preflight check).',
  'Document the UID each containerised service expects for its volumes (seed 000).',
  'Prefer named volumes to host bind mounts so the engine sets ownership (seed 000).',
  'Alert on "Permission denied" and "Background saving error" in Redis logs and on rdb_last_bgsave_status:err (seeds 000, 003).',
  'Run Redis as the package system user (redis:redis, no login shell) and keep the unit file, playbooks and start scripts in agreement on it (seed 003).',
  'Never "fix" ownership with chmod 777: give the directory to the Redis user (seed 000).',
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
    prevention: ['Alert at 80% of maxmemory (seed 004).'],
  },
  'latent-dir': {
    title: 'The data directory is not writable by Redis, but persistence does not fail now',
    evidence: ['owner-mismatch', 'no-write-bit', 'persistence-off', 'persistence-ok'],
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
