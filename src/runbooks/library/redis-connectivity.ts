import type { Condition, Runbook } from '../model.js';
import { aclBranches, aclOutcomes, aclRepairs } from './acl-repairs.js';
import { aclFileStep, aclSteps, verifyAclUser } from './acl-steps.js';
import { appHealthStep, httpToolStep } from './app-health-steps.js';
import { verifyAppHealth, verifyAppHealthAfterFix } from './app-health-verify.js';
import { appHealthBranches, appHealthCauses, appHealthOutcomes, appRestartRepair } from './app-repairs.js';
import { clientListStep, killPubsubRepair, verifyClientsRelieved } from './client-list.js';
import { clientConnectionsStep, clientNetworkStep, clientPingStep } from './client-steps.js';
import { containerStep, logsStep, serverStep } from './common-steps.js';
import { connectivityRepairs as repairs } from './connectivity-repairs.js';
import { clientsStep, memoryStep, replicationStep } from './connectivity-steps.js';
import { diskStep } from './disk-step.js';
import { clientFact } from './facts.js';
import { hostMemoryStep } from './host-memory-step.js';
import { memoryRepairs, verifyPolicy } from './memory-repairs.js';
import { sessionKeysStep } from './memory-step.js';
import { notServingBranches } from './not-serving.js';
import { configStep } from './permission-steps.js';
import { persistenceStep } from './persistence-step.js';
import { pingStep } from './ping-step.js';
import { queueCountsStep, verifyQueueMoves } from './queue-steps.js';
import { connectivityCauses } from './redis-connectivity-causes.js';
import { healthy, outcome, undecided } from './step-builders.js';
import {
  verifyClientPing,
  verifyClients,
  verifyMemory,
  verifyPing,
  verifyRunning,
  verifyWriteMemory,
} from './verify-steps.js';

const diagnosis = [
  containerStep,
  logsStep,
  pingStep,
  serverStep,
  persistenceStep,
  memoryStep,
  sessionKeysStep,
  clientsStep,
  replicationStep,
  clientPingStep,
  clientNetworkStep,
  clientConnectionsStep,
  clientListStep,
  // Seed 004's escalation checks: disk and inodes of the data dir, memory of the host.
  configStep,
  diskStep,
  hostMemoryStep,
  httpToolStep,
  appHealthStep,
  queueCountsStep,
];

const f = (finding: string): Condition => ({ finding });
const notRunning = f('container-not-running');
// Why a container that exited will exit again: what its last start logged. Classified before any
// `docker start` is proposed; unread logs leave the start unproposed (the condition is unknown).
const startBlockedByDisk: Condition = {
  any: [
    'aof-permission-denied',
    'rdb-permission-denied',
    'disk-full-logged',
    'read-only-fs-logged',
    'persistence-error-logged',
  ].map(f),
};
const holderKnown: Condition = { all: [{ fact: 'clients.holder' }, { read: 'client-connections' }] };
const startBlockedByConfig: Condition = { any: [f('acl-load-failed'), f('config-load-failed')] };
const escalate = (id: string, summary: string) => outcome(id, 'escalated', summary);
// A healthy Redis has all its checks read; counting held connections applies only when exhausted.
// The ACL file check is read whenever a refusal or failed start could make it matter.
const healthRestsOn = [...diagnosis.filter((d) => d !== clientConnectionsStep), aclFileStep];

export const redisConnectivity: Runbook = {
  id: 'redis-connectivity',
  title: 'Redis unreachable from its clients',
  summary:
    'Finds why clients cannot use Redis: stopped or crash-looping container, wrong Docker network, maxmemory reached, client connections exhausted, refused credentials, or persistence (handed to redis-permissions).',
  targetKinds: ['docker', 'ssh'],
  afterDiagnosis: 'triage',
  // For listings: a client on another network, memory at a 2 MiB limit, a client holding connections.
  example: {
    'redis.running': true,
    'redis.networks': ['<redis network>'],
    [clientFact('<client>', 'network')]: '<client network>',
    [clientFact('<client>', 'reachable')]: false,
    'memory.max': 2097152,
    'memory.proposed': '9mb',
    'memory.policy': 'volatile-lru',
    'memory.policySwitch': 'allkeys-lru',
    'memory.sessionPattern': 'sess:*',
    'clients.pubsubIds': ['41', '42'],
    'clients.pubsubHolder': '<client>',
    'clients.holder': '<client>',
    // A Redis container whose command names an aclfile.
    'acl.sources': ['aclfile:/run/secrets/users.acl'],
    [clientFact('<client>', 'httpTool')]: 'curl',
  },
  steps: [
    ...diagnosis,
    // Apply only to ACL targets and refused credentials (healthRestsOn takes the file check).
    ...aclSteps,
    {
      kind: 'decide',
      id: 'triage',
      title: 'Root cause',
      // Order is priority: Redis not there or not answering before any network theory; a start
      // only once the last start's logs are read; this runbook's repairs before a handover.
      branches: [
        ...notServingBranches,
        // Seed 002: a missing secret or unloaded ACL users explain a refusal or a failed start first.
        ...aclBranches,
        { when: f('container-restarting'), to: 'escalate-crash-loop', cause: 'crash-loop' },
        {
          when: { all: [notRunning, startBlockedByDisk] },
          to: 'hand-over-start',
          cause: 'start-blocked-disk',
        },
        {
          when: { all: [notRunning, startBlockedByConfig] },
          to: 'escalate-start-blocked',
          cause: 'start-blocked-config',
        },
        {
          when: { all: [notRunning, f('logs-empty')] },
          to: 'escalate-start-unknown',
          cause: 'container-stopped',
        },
        {
          when: {
            all: [
              notRunning,
              { targetKind: 'docker' },
              { not: startBlockedByDisk },
              { not: startBlockedByConfig },
              { not: f('logs-empty') },
            ],
          },
          to: 'approve-start',
          cause: 'container-stopped',
        },
        {
          // On another network and unable to reach Redis: a client that gets PONG anyway (routed,
          // by address) needs no repair.
          // network-mismatch is said only of a client that does not reach Redis (client-network).
          when: { all: [f('network-mismatch'), { targetKind: 'docker' }] },
          to: 'approve-connect',
          cause: 'wrong-network',
        },
        {
          when: { all: [f('maxmemory-reached'), { fact: 'memory.proposed' }] },
          to: 'approve-maxmemory',
          cause: 'maxmemory',
        },
        {
          // A holder only once every client's connections were counted: an uncounted one may hold more.
          when: { all: [f('clients-exhausted'), holderKnown] },
          to: 'approve-restart-holder',
          cause: 'clients-exhausted',
        },
        {
          when: { all: [f('clients-exhausted'), { not: holderKnown }] },
          to: 'escalate-clients',
          cause: 'clients-exhausted',
        },
        {
          // Not yet exhausted, so Redis still takes the commands that close them.
          when: { all: [f('pubsub-idle'), { not: f('clients-exhausted') }] },
          to: 'approve-kill-pubsub',
          cause: 'pubsub-leak',
        },
        { when: f('disk-full'), to: 'escalate-disk', cause: 'disk-full' },
        { when: { any: [f('misconf'), f('bgsave-failing')] }, to: 'hand-over', cause: 'misconf' },
        {
          when: { any: ['auth-refused', 'auth-noperm', 'acl-user-not-in-file', 'acl-load-failed'].map(f) },
          to: 'escalate-auth',
          cause: 'auth-refused',
        },
        {
          // Clients that share a network with Redis and still cannot reach it; a client on another
          // network is the wrong-network cause above, not a second fault.
          when: {
            all: [
              { any: [f('client-dns-failure'), f('client-tcp-failure')] },
              { not: f('network-mismatch') },
            ],
          },
          to: 'escalate-network',
          cause: 'client-unreachable',
        },
        {
          when: {
            any: [f('redis-not-listening'), f('ping-failed'), f('master-down'), f('replica-link-down')],
          },
          to: 'escalate-down',
          cause: 'redis-down',
        },
        // Last: Redis showed no fault, and an application's health check still fails.
        ...appHealthBranches,
      ],
      default: 'no-fault',
    },
    ...repairs.flat(),
    ...memoryRepairs,
    ...killPubsubRepair,
    ...aclRepairs.flat(),
    ...appRestartRepair,
    { kind: 'recheck', id: 'recheck', title: 'Look again after the repair', maxVisits: 4 },
    verifyRunning,
    verifyPing,
    verifyClientPing,
    verifyMemory,
    verifyPolicy,
    verifyWriteMemory,
    verifyClients,
    verifyClientsRelieved,
    verifyAclUser,
    verifyAppHealthAfterFix,
    verifyAppHealth,
    verifyQueueMoves,
    outcome('resolved', 'resolved', 'Redis is reachable again and the checks pass.'),
    healthy(
      'no-fault',
      'No connectivity fault found: the container runs, Redis and every client get PONG, they share a network, memory and connections are within limits, the data disk has room.',
      healthRestsOn,
    ),
    ...undecided(),
    ...aclOutcomes,
    ...appHealthOutcomes,
    outcome(
      'clients-not-restarted',
      'rejected',
      "The network connect ran and Redis is on its clients' network; the clients were not restarted, so those the check after it found unable to reach Redis may still fail.",
    ),
    outcome(
      'hand-over',
      'handed-over',
      'Redis refuses writes because it cannot persist (MISCONF): handed over to redis-permissions.',
      'redis-permissions',
    ),
    outcome(
      'hand-over-start',
      'handed-over',
      'Redis exits at start because it cannot write its data directory (see its last start in the logs); starting it again would not help: handed over to redis-permissions.',
      'redis-permissions',
    ),
    escalate(
      'escalate-missing',
      'The Redis container does not exist. Recreate it from its compose file; no automatic repair.',
    ),
    escalate(
      'escalate-unresponsive',
      'Redis does not answer on its own host (frozen, stopped with SIGSTOP, swapping or blocked by a script). Look at the process (state, CPU, memory) before any network theory; no automatic repair.',
    ),
    escalate(
      'escalate-loading',
      'Redis is still loading its dataset; clients are refused until it is done. Run the diagnosis again then.',
    ),
    escalate(
      'escalate-crash-loop',
      'Redis is restarting in a loop; starting it again will not help. Read the logs in the findings.',
    ),
    escalate(
      'escalate-start-unknown',
      'The Redis container is not running and its console logs are empty (it may log to a file), so why it stopped could not be read. Look at its log file before starting it; no automatic repair.',
    ),
    escalate(
      'escalate-start-blocked',
      'Redis exits at start because it cannot load its configuration or ACL file (see its last start in the logs); starting it again would not help. Restore the file or its mount; no automatic repair.',
    ),
    escalate(
      'escalate-auth',
      'Redis refuses the credentials (or its ACL users did not load). Credentials are not changed automatically.',
    ),
    escalate('escalate-clients', 'Connections are exhausted but the client holding them could not be found.'),
    escalate(
      'escalate-network',
      'Clients cannot reach Redis although they share a network and Redis answers on its own host: escalate to the infrastructure team.',
    ),
    escalate(
      'escalate-disk',
      'The disk holding the Redis data directory is full (or out of inodes): Redis cannot save, and may not start again. Free space or grow the volume; no automatic repair.',
    ),
    escalate('escalate-down', 'Redis is not answering and the runbook has no repair for why.'),
    escalate('escalate-repair-failed', 'The repair ran but verification failed. A person must take over.'),
  ],
  causes: { ...connectivityCauses, ...appHealthCauses },
};
