import type { Cause, DecideStep } from '../model.js';

// What both runbooks read first: Redis not there, or there and not serving. Every other reading
// is moot until these are ruled out, so both triages open with the same branches and causes.

const f = (finding: string) => ({ finding });

export const notServingBranches: DecideStep['branches'] = [
  { when: f('container-missing'), to: 'escalate-missing', cause: 'container-missing' },
  {
    when: { any: [f('redis-unresponsive'), f('redis-busy')] },
    to: 'escalate-unresponsive',
    cause: 'redis-unresponsive',
  },
  { when: f('redis-loading'), to: 'escalate-loading', cause: 'redis-loading' },
];

export const notServingCauses: Record<string, Cause> = {
  'container-missing': {
    title: 'The Redis container does not exist',
    evidence: ['container-missing'],
    prevention: ['Manage Redis with a compose file or orchestrator so it is recreated, not lost.'],
  },
  'redis-unresponsive': {
    title: 'Redis does not answer on its own host',
    evidence: ['redis-unresponsive', 'redis-busy'],
    prevention: [
      'Alert on redis_up and on command latency; a frozen Redis looks like a network fault to its clients.',
    ],
  },
  'redis-loading': {
    title: 'Redis is loading its dataset',
    evidence: ['redis-loading'],
    prevention: ["Keep datasets small enough to load within the clients' retry window."],
  },
};
