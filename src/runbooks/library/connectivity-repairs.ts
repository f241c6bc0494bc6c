// The repairs of redis-connectivity: each acts on one cause the triage found, and each is verified
// by the checks that showed the cause.
import type { Action } from '../action.js';
import type { StepContext } from '../model.js';
import { clientFact, str } from './facts.js';
import { guarded } from './step-builders.js';

const redis = { at: 'redis' } as const;
// Every repair here also needs each declared application health check passing again afterwards.
const AFTER = 'verify-app-health-after-fix';
// And each BullMQ queue the target names that had jobs waiting moving again.
const QUEUES = 'verify-queue-moves';

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

const base = {
  timeoutMs: 60_000,
  onFailure: 'escalate-repair-failed',
  onSuccess: 'recheck',
};

export const connectivityRepairs = [
  guarded({
    ...base,
    id: 'start-redis',
    targetKinds: ['docker'],
    title: 'Start the Redis container',
    gate: { id: 'approve-start', title: 'Approve starting Redis' },
    precondition: { step: 'container', findings: ['container-not-running'] },
    risk: 'low',
    actions: () => [{ kind: 'start', place: redis }],
    verify: ['verify-running', 'verify-ping', AFTER, QUEUES],
    undo: 'docker stop <redis container>',
  }),
  guarded({
    ...base,
    id: 'connect-network',
    targetKinds: ['docker'],
    title: "Connect Redis to its clients' network",
    gate: { id: 'approve-connect', title: 'Approve the network connect' },
    risk: 'low',
    actions: connectNetworks,
    verify: ['verify-client-ping', AFTER, QUEUES],
    undo: 'docker network disconnect <network> <redis container>',
    // Connected, and a client still cannot reach Redis in the check after it (only such a client is
    // restarted): it may hold a stale address. A client that gets PONG needs nothing more.
    onFailure: 'approve-restart-clients',
  }),
  guarded({
    ...base,
    id: 'restart-clients',
    targetKinds: ['docker'],
    title: 'Restart the clients so they drop stale connections',
    // Reached only when the check after the network connect still fails for a client: a rejection
    // ends the incident with Redis on the clients' network and those clients as they are.
    gate: {
      id: 'approve-restart-clients',
      title: 'Approve restarting the clients',
      onReject: 'clients-not-restarted',
    },
    risk: 'medium',
    actions: restartUnreachableClients,
    verify: ['verify-client-ping', AFTER, QUEUES],
  }),
  guarded({
    ...base,
    id: 'raise-maxmemory',
    title: 'Raise maxmemory',
    // Rejected: the policy switch is offered next when the evidence says the policy cannot evict.
    gate: {
      id: 'approve-maxmemory',
      title: 'Approve raising maxmemory',
      onReject: 'after-maxmemory-rejected',
    },
    precondition: { step: 'info-memory', findings: ['maxmemory-reached'] },
    risk: 'medium',
    actions: (ctx) => {
      const to = str(ctx.facts, 'memory.proposed');
      return to ? [{ kind: 'redis', place: redis, args: ['CONFIG', 'SET', 'maxmemory', to] }] : null;
    },
    verify: ['verify-memory', 'verify-write-memory', AFTER, QUEUES],
    undo: 'redis-cli CONFIG SET maxmemory {memory.max} (the limit before)',
  }),
  guarded({
    ...base,
    id: 'restart-holder',
    targetKinds: ['docker'],
    title: 'Restart the client holding the connections, then close idle connections after 300 s',
    gate: {
      id: 'approve-restart-holder',
      title: 'Approve restarting the client and setting an idle timeout',
    },
    precondition: { step: 'info-clients', findings: ['clients-exhausted'] },
    risk: 'medium',
    actions: (ctx) => {
      const holder = str(ctx.facts, 'clients.holder');
      return holder
        ? [
            { kind: 'restart', place: { at: 'client', client: holder } },
            { kind: 'redis', place: redis, args: ['CONFIG', 'SET', 'timeout', '300'] },
          ]
        : null;
    },
    verify: ['verify-ping', 'verify-clients', AFTER, QUEUES],
    undo: 'redis-cli CONFIG SET timeout 0',
  }),
];
