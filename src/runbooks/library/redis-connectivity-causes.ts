import type { Cause } from '../model.js';
import { notServingCauses } from './not-serving.js';
import { permissionCauses } from './redis-permissions-causes.js';

// The causes redis-connectivity can name, each with the finding codes that are its evidence and what
// prevents it next time; the seed documents are cited where a measure comes from one.

export const connectivityCauses: Record<string, Cause> = {
  ...notServingCauses,
  'start-blocked-disk': {
    title: 'Redis exits at start because it cannot write its data directory',
    evidence: [
      'container-not-running',
      'aof-permission-denied',
      'rdb-permission-denied',
      'disk-full-logged',
      'read-only-fs-logged',
    ],
    prevention: [
      'Check the data directory against the UID Redis runs as before starting it (a preflight check).',
    ],
  },
  'start-blocked-config': {
    title: 'Redis exits at start because its configuration or ACL file cannot be loaded',
    evidence: ['container-not-running', 'acl-load-failed', 'config-load-failed'],
    prevention: ['Check after every start that the ACL users loaded and that secrets are mounted.'],
  },
  'crash-loop': {
    title: 'Redis is crash-looping',
    evidence: [
      'container-restarting',
      'container-oom-killed',
      'acl-load-failed',
      'aof-permission-denied',
      'rdb-permission-denied',
    ],
    prevention: ['Alert on container restarts, not only on failed health checks.'],
  },
  'container-stopped': {
    title: 'The Redis container is stopped',
    evidence: ['container-not-running', 'container-oom-killed'],
    prevention: [
      'Configure Redis persistence (RDB snapshots or AOF) so data survives restarts.',
      'Give the container a restart policy and a healthcheck.',
      'Consider Redis Sentinel or Cluster for high availability in production.',
    ],
  },
  misconf: {
    title: 'Redis refuses writes because it cannot persist (MISCONF)',
    evidence: ['misconf', 'misconf-logged', 'bgsave-failing', 'rdb-permission-denied'],
    prevention: ['Alert on rdb_last_bgsave_status:err: a failing save looks like an outage to clients.'],
  },
  'wrong-network': {
    title: 'Redis is not on the Docker network its clients use',
    evidence: ['network-mismatch', 'client-dns-failure'],
    prevention: [
      'Declare network membership explicitly in docker-compose.yml so it cannot drift.',
      'Add pre-flight checks for critical dependencies at start-up.',
      'Alert on Redis disconnection from the application health check.',
    ],
  },
  'auth-refused': {
    title: 'Redis refuses the credentials',
    evidence: [
      'auth-refused',
      'auth-noauth',
      'auth-wrongpass',
      'auth-noperm',
      'acl-user-not-loaded',
      'acl-user-not-in-file',
      'acl-load-failed',
    ],
    prevention: [
      'Check after every start that the ACL users loaded (ACL LIST) and that secrets are mounted.',
      'Give clients and server their credentials from one secret.',
    ],
  },
  // Seed 002: "Redis ACL users were not properly loaded initially".
  'acl-not-loaded': {
    title: 'Redis has not loaded the users of its ACL file',
    evidence: [
      'acl-users-not-loaded',
      'acl-user-not-loaded',
      'default-user-open',
      'default-user-off',
      'auth-wrongpass',
      'auth-refused',
    ],
    prevention: [
      'Write the ACL file before Redis starts (or run ACL LOAD after writing it), and check ACL USERS after every start.',
      'Keep the default user off in the file itself, so a Redis that missed its users is closed, not open.',
    ],
  },
  // Seed 002: "Redis secrets were not properly mounted in first attempt".
  'secrets-not-mounted': {
    title: 'A secret the Redis container needs is not mounted',
    evidence: ['secret-not-mounted', 'acl-load-failed', 'config-load-failed', 'container-not-running'],
    prevention: [
      'Recreate Redis with its compose definition (docker compose up -d --force-recreate), never a bare docker run that drops its mounts.',
      'Check after every start that the ACL users loaded and that secrets are mounted.',
    ],
  },
  'disk-full': permissionCauses['disk-full'] as Cause,
  'pubsub-leak': {
    title: 'Idle pub/sub subscribers of one client hold most of Redis’s connections',
    evidence: ['pubsub-idle', 'clients-high', 'client-connections', 'client-list'],
    prevention: [
      'Open one subscriber connection per process and close it with the work that needed it; never one per request.',
      'CONFIG SET timeout does not close pub/sub clients (Redis exempts them): bound subscribers in the client library instead, with TCP keepalive for dead peers.',
      'Alert at 80% of maxclients (connected_clients against maxclients).',
    ],
  },
  maxmemory: {
    title: 'Redis reached maxmemory and its policy has nothing it may evict, so it refuses writes',
    evidence: ['maxmemory-reached', 'oom-logged', 'session-keys'],
    prevention: [
      'Alert at 80% of maxmemory.',
      'Choose maxmemory-policy for the workload (allkeys-lru for caches).',
      'Give sessions a TTL and limit BullMQ job retention.',
    ],
  },
  'clients-exhausted': {
    title: 'Redis ran out of client connections',
    evidence: ['clients-exhausted', 'client-connections', 'max-clients-logged'],
    prevention: [
      'Set Redis timeout so idle connections close.',
      'Look for a connection leak in the client holding the connections.',
    ],
  },
  'client-unreachable': {
    title: 'Clients cannot reach Redis over the network',
    evidence: ['client-dns-failure', 'client-tcp-failure'],
    prevention: ['If it is a network partition, escalate to the infrastructure team.'],
  },
  'redis-down': {
    title: 'Redis is not answering',
    evidence: ['redis-not-listening', 'ping-failed', 'master-down', 'replica-link-down'],
    prevention: ['If Redis cannot be restarted, check disk space and system resources.'],
  },
};
