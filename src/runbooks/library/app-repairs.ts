// Seed 000 step 4, seed 002 step 3: once Redis is fixed, an application that still fails its health
// check is restarted so it drops the broken connection it holds. Only such a client, only after a
// verified Redis-side fix, and under its own approval; one whose check passes is left alone.
import type { Action } from '../action.js';
import type { Condition, StepContext } from '../model.js';
import { clientFact } from './facts.js';
import { guarded, outcome } from './step-builders.js';

function restartUnhealthyClients(ctx: StepContext): Action[] | null {
  const names = ctx.target.clients
    .filter((c) => c.health && ctx.facts[clientFact(c.name, 'healthy')] === false)
    .map((c) => c.name);
  return names.length === 0
    ? null
    : names.map((client) => ({ kind: 'restart', place: { at: 'client', client } }));
}

export const appRestartRepair = guarded({
  id: 'restart-unhealthy-clients',
  targetKinds: ['docker'],
  title: 'Restart the clients whose health check still fails after the Redis fix',
  gate: {
    id: 'approve-restart-unhealthy',
    title: 'Approve restarting the unhealthy clients',
    onReject: 'resolved-client-not-restarted',
  },
  risk: 'medium',
  actions: restartUnhealthyClients,
  example: { [clientFact('<client>', 'healthy')]: false },
  verify: ['verify-app-health', 'verify-queue-moves'],
  timeoutMs: 60_000,
  onSuccess: 'recheck',
  onFailure: 'escalate-repair-failed',
});

const failing: Condition = { finding: 'app-health-failing' };

/**
 * The last branches of a triage, after every Redis fault: Redis showed none. After a verified fix the
 * application is offered a restart; on a first look it is said plainly and escalated, since Redis
 * gives no reason to restart it.
 */
export const appHealthBranches = [
  {
    when: { all: [failing, { repaired: true }, { targetKind: 'docker' }] } as Condition,
    to: 'approve-restart-unhealthy',
    cause: 'app-stale-after-fix',
  },
  { when: failing, to: 'escalate-app-health', cause: 'app-unhealthy' },
];

export const appHealthOutcomes = [
  outcome(
    'resolved-client-not-restarted',
    'rejected',
    'The Redis fault was fixed and verified; the restart was rejected, so the clients whose health check still failed were not restarted and may still fail until they reconnect or a person restarts them.',
  ),
  outcome(
    'escalate-app-health',
    'escalated',
    "The application's health check fails while Redis is healthy: every Redis check passed, so the fault is in the application or between it and its other dependencies. No automatic repair; see the health check's status and body in the findings.",
  ),
];

export const appHealthCauses = {
  'app-stale-after-fix': {
    title: "The application's health check still fails after the Redis fix",
    evidence: ['app-health-failing'],
    prevention: [
      'Make the application reconnect to Redis by itself (retry with backoff) instead of keeping a broken connection.',
      "Check the application's health endpoint after every Redis repair, not only Redis.",
    ],
  },
  'app-unhealthy': {
    title: "The application's health check fails",
    evidence: ['app-health-failing'],
    prevention: ["Alert on the application's health check, and include Redis's status in it."],
  },
};
