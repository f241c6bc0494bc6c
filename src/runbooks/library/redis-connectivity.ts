import type { Action } from '../action.js';
import type { RepairStep, Runbook, StepContext } from '../model.js';
import { containerStep, logsStep, persistenceStep, pingStep, serverStep } from './common-steps.js';
import {
  clientConnectionsStep,
  clientNetworkStep,
  clientPingStep,
  clientsStep,
  memoryStep,
} from './connectivity-steps.js';
import { clientFact, str } from './facts.js';
import { gate, outcome } from './step-builders.js';
import {
  verifyClientPing,
  verifyClients,
  verifyMemory,
  verifyPing,
  verifyRunning,
  verifyWrite,
} from './verify-steps.js';

const redis = { at: 'redis' } as const;

function connectNetworks(ctx: StepContext): Action[] | null {
  const nets = new Set(
    ctx.target.clients
      .map((c) => str(ctx.facts, clientFact(c.name, 'network')))
      .filter((n): n is string => n !== undefined),
  );
  return nets.size === 0
    ? null
    : [...nets].map((network) => ({ kind: 'network-connect', place: redis, network }));
}

function restartUnreachableClients(ctx: StepContext): Action[] | null {
  const names = ctx.target.clients
    .filter((c) => ctx.facts[clientFact(c.name, 'reachable')] === false)
    .map((c) => c.name);
  return names.length === 0
    ? null
    : names.map((client) => ({ kind: 'restart', place: { at: 'client', client } }));
}

const base = { kind: 'repair' as const, timeoutMs: 60_000, onFailure: 'escalate-repair-failed' };

const repairs: RepairStep[] = [
  {
    ...base,
    id: 'start-redis',
    title: 'Start the Redis container',
    approval: 'approve-start',
    precondition: { step: 'container', findings: ['container-not-running'] },
    risk: 'low',
    commands: ['docker start <redis container>'],
    actions: () => [{ kind: 'start', place: redis }],
    verify: ['verify-running', 'verify-ping'],
    undo: 'docker stop <redis container>',
    onSuccess: 'resolved',
  },
  {
    ...base,
    id: 'connect-network',
    title: "Connect Redis to its clients' network",
    approval: 'approve-connect',
    risk: 'low',
    commands: ["docker network connect <client's network> <redis container>"],
    actions: connectNetworks,
    verify: ['verify-client-ping'],
    undo: 'docker network disconnect <network> <redis container>',
    onSuccess: 'approve-restart-clients',
  },
  {
    ...base,
    id: 'restart-clients',
    title: 'Restart the clients so they drop stale connections',
    approval: 'approve-restart-clients',
    risk: 'medium',
    commands: ['docker restart <client> (each client that could not reach Redis)'],
    actions: restartUnreachableClients,
    verify: ['verify-client-ping'],
    onSuccess: 'resolved',
  },
  {
    ...base,
    id: 'raise-maxmemory',
    title: 'Raise maxmemory',
    approval: 'approve-maxmemory',
    precondition: { step: 'info-memory', findings: ['maxmemory-reached'] },
    risk: 'medium',
    commands: ['redis-cli CONFIG SET maxmemory <max(2 × current limit, 1.5 × used), in MiB>'],
    actions: (ctx) => {
      const to = str(ctx.facts, 'memory.proposed');
      return to ? [{ kind: 'redis', place: redis, args: ['CONFIG', 'SET', 'maxmemory', to] }] : null;
    },
    verify: ['verify-memory', 'verify-write'],
    undo: 'redis-cli CONFIG SET maxmemory {memory.max} (the limit before)',
    onSuccess: 'resolved',
  },
  {
    ...base,
    id: 'restart-holder',
    title: 'Restart the client holding the connections, then close idle connections after 300 s',
    approval: 'approve-restart-holder',
    precondition: { step: 'info-clients', findings: ['clients-exhausted'] },
    risk: 'medium',
    commands: ['docker restart <client holding most connections>', 'redis-cli CONFIG SET timeout 300'],
    actions: (ctx) => {
      const holder = str(ctx.facts, 'clients.holder');
      return holder
        ? [
            { kind: 'restart', place: { at: 'client', client: holder } },
            { kind: 'redis', place: redis, args: ['CONFIG', 'SET', 'timeout', '300'] },
          ]
        : null;
    },
    verify: ['verify-ping', 'verify-clients'],
    undo: 'redis-cli CONFIG SET timeout 0',
    onSuccess: 'resolved',
  },
];

export const redisConnectivity: Runbook = {
  id: 'redis-connectivity',
  title: 'Redis unreachable from its clients',
  summary:
    'Finds why clients cannot use Redis: stopped or crash-looping container, wrong Docker network, maxmemory reached, client connections exhausted, refused credentials, or persistence (handed to redis-permissions).',
  targetKinds: ['docker', 'ssh'],
  afterDiagnosis: 'triage',
  steps: [
    containerStep,
    logsStep,
    pingStep,
    serverStep,
    persistenceStep,
    memoryStep,
    clientsStep,
    clientPingStep,
    clientNetworkStep,
    clientConnectionsStep,
    {
      kind: 'decide',
      id: 'triage',
      title: 'Root cause',
      branches: [
        { when: { finding: 'container-missing' }, to: 'escalate-missing', cause: 'container-missing' },
        { when: { finding: 'container-restarting' }, to: 'escalate-crash-loop', cause: 'crash-loop' },
        {
          when: { all: [{ finding: 'container-not-running' }, { targetKind: 'docker' }] },
          to: 'approve-start',
          cause: 'container-stopped',
        },
        {
          when: { any: [{ finding: 'misconf' }, { finding: 'bgsave-failing' }] },
          to: 'hand-over',
          cause: 'misconf',
        },
        {
          when: { all: [{ finding: 'network-mismatch' }, { targetKind: 'docker' }] },
          to: 'approve-connect',
          cause: 'wrong-network',
        },
        {
          when: { any: [{ finding: 'auth-refused' }, { finding: 'acl-load-failed' }] },
          to: 'escalate-auth',
          cause: 'auth-refused',
        },
        {
          when: { all: [{ finding: 'maxmemory-reached' }, { fact: 'memory.proposed' }] },
          to: 'approve-maxmemory',
          cause: 'maxmemory',
        },
        {
          when: { all: [{ finding: 'clients-exhausted' }, { fact: 'clients.holder' }] },
          to: 'approve-restart-holder',
          cause: 'clients-exhausted',
        },
        { when: { finding: 'clients-exhausted' }, to: 'escalate-clients', cause: 'clients-exhausted' },
        {
          when: { any: [{ finding: 'client-dns-failure' }, { finding: 'client-tcp-failure' }] },
          to: 'escalate-network',
          cause: 'client-unreachable',
        },
        {
          when: { any: [{ finding: 'redis-not-listening' }, { finding: 'ping-failed' }] },
          to: 'escalate-down',
          cause: 'redis-down',
        },
      ],
      default: 'no-fault',
    },
    gate('approve-start', 'Approve starting Redis', 'start-redis'),
    gate('approve-connect', 'Approve the network connect', 'connect-network'),
    gate(
      'approve-restart-clients',
      'Approve restarting the clients',
      'restart-clients',
      'resolved-without-restart',
    ),
    gate('approve-maxmemory', 'Approve raising maxmemory', 'raise-maxmemory'),
    gate(
      'approve-restart-holder',
      'Approve restarting the client and setting an idle timeout',
      'restart-holder',
    ),
    ...repairs,
    verifyRunning,
    verifyPing,
    verifyClientPing,
    verifyMemory,
    verifyWrite,
    verifyClients,
    outcome('resolved', 'resolved', 'Redis is reachable again and the checks pass.'),
    outcome(
      'resolved-without-restart',
      'resolved',
      'Every client reaches Redis again; the clients were not restarted, so watch them for stale connections.',
    ),
    outcome(
      'no-fault',
      'no-fault',
      'No connectivity fault found: the container runs, Redis and every client get PONG, they share a network, memory and connections are within limits.',
    ),
    outcome('rejected', 'rejected', 'The repair was rejected; nothing was changed.'),
    outcome('expired', 'expired', 'Nobody decided before the approval expired; nothing was changed.'),
    outcome(
      'hand-over',
      'handed-over',
      'Redis refuses writes because it cannot persist (MISCONF): handed over to redis-permissions.',
      'redis-permissions',
    ),
    outcome(
      'escalate-missing',
      'escalated',
      'The Redis container does not exist. Recreate it from its compose file; no automatic repair.',
    ),
    outcome(
      'escalate-crash-loop',
      'escalated',
      'Redis is restarting in a loop; starting it again will not help. Read the logs in the findings.',
    ),
    outcome(
      'escalate-auth',
      'escalated',
      'Redis refuses the credentials (or its ACL users did not load). Credentials are not changed automatically.',
    ),
    outcome(
      'escalate-clients',
      'escalated',
      'Connections are exhausted but the client holding them could not be found.',
    ),
    outcome(
      'escalate-network',
      'escalated',
      'Clients cannot reach Redis although they share a network: escalate to the infrastructure team.',
    ),
    outcome('escalate-down', 'escalated', 'Redis is not answering and the runbook has no repair for why.'),
    outcome(
      'escalate-repair-failed',
      'escalated',
      'The repair ran but verification failed. A person must take over.',
    ),
  ],
  causes: {
    'container-missing': {
      title: 'The Redis container does not exist',
      evidence: ['container-missing'],
      prevention: ['Manage Redis with a compose file or orchestrator so it is recreated, not lost.'],
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
        'Configure Redis persistence (RDB snapshots or AOF) so data survives restarts (seed 004).',
        'Give the container a restart policy and a healthcheck.',
        'Consider Redis Sentinel or Cluster for high availability in production (seed 004).',
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
        'Declare network membership explicitly in docker-compose.yml so it cannot drift (seed 002).',
        'Add pre-flight checks for critical dependencies at start-up (seed 002).',
        'Alert on Redis disconnection from the application health check (seed 002).',
      ],
    },
    'auth-refused': {
      title: 'Redis refuses the credentials',
      evidence: ['auth-refused', 'acl-load-failed'],
      prevention: [
        'Check after every start that the ACL users loaded (ACL LIST) and that secrets are mounted (seed 002).',
        'Give clients and server their credentials from one secret.',
      ],
    },
    maxmemory: {
      title: 'Redis reached maxmemory with noeviction and refuses writes',
      evidence: ['maxmemory-reached', 'oom-logged'],
      prevention: [
        'Alert at 80% of maxmemory (seed 004).',
        'Choose maxmemory-policy for the workload (allkeys-lru for caches) (seed 004).',
        'Give sessions a TTL and limit BullMQ job retention (seed 004).',
      ],
    },
    'clients-exhausted': {
      title: 'Redis ran out of client connections',
      evidence: ['clients-exhausted', 'client-connections', 'max-clients-logged'],
      prevention: [
        'Set Redis timeout so idle connections close (seed 004).',
        'Look for a connection leak in the client holding the connections (seed 004).',
      ],
    },
    'client-unreachable': {
      title: 'Clients cannot reach Redis over the network',
      evidence: ['client-dns-failure', 'client-tcp-failure'],
      prevention: ['If it is a network partition, escalate to the infrastructure team (seed 004).'],
    },
    'redis-down': {
      title: 'Redis is not answering',
      evidence: ['redis-not-listening', 'ping-failed'],
      prevention: ['If Redis cannot be restarted, check disk space and system resources (seed 004).'],
    },
  },
};
