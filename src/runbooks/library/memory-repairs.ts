// Seed 004's second choice for a full Redis: when its volatile-* policy has no key with a TTL to
// evict, raising maxmemory only postpones the next OOM. Offered after the raise is rejected, with
// its own approval and undo, because evicting keys without a TTL may drop data the app still needs.
import { parseConfigGet } from '../analyzers/redis-info.js';
import type { Step } from '../model.js';
import { verify } from './common-steps.js';
import { str } from './facts.js';
import { guarded } from './step-builders.js';

const redis = { at: 'redis' } as const;

export const verifyPolicy = verify({
  id: 'verify-policy',
  title: 'maxmemory-policy is the one approved',
  action: () => ({ kind: 'redis', place: redis, args: ['CONFIG', 'GET', 'maxmemory-policy'] }),
  check: (r, ctx) => {
    const now = parseConfigGet(r.stdout).get('maxmemory-policy');
    const want = str(ctx.facts, 'memory.policySwitch');
    return {
      passed: now !== undefined && now === want,
      statement: `maxmemory-policy ${now ?? '(unread)'}`,
      evidence: [`maxmemory-policy ${now ?? '(unread)'}`],
    };
  },
  timeoutMs: 15_000,
});

export const memoryRepairs: Step[] = [
  {
    kind: 'decide',
    id: 'after-maxmemory-rejected',
    title: 'The raise was rejected: is there another choice?',
    branches: [{ when: { fact: 'memory.policySwitch' }, to: 'approve-policy-switch' }],
    default: 'rejected',
  },
  ...guarded({
    id: 'switch-policy',
    title:
      'Switch maxmemory-policy to its allkeys-* form: the volatile-* policy can evict only keys with a TTL and no key has one; keys without a TTL may now be evicted',
    gate: { id: 'approve-policy-switch', title: 'Approve switching the eviction policy' },
    precondition: { step: 'info-memory', findings: ['maxmemory-reached'] },
    risk: 'high',
    actions: (ctx) => {
      const to = str(ctx.facts, 'memory.policySwitch');
      return to ? [{ kind: 'redis', place: redis, args: ['CONFIG', 'SET', 'maxmemory-policy', to] }] : null;
    },
    verify: ['verify-policy', 'verify-write-memory'],
    undo: 'redis-cli CONFIG SET maxmemory-policy {memory.policy} (the policy before)',
    onSuccess: 'recheck',
    onFailure: 'escalate-repair-failed',
    timeoutMs: 60_000,
  }),
];
