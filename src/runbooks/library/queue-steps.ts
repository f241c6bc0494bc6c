// Seed 004 step 7: the BullMQ queues the target names, counted read-only, and after a repair the
// check that each queue that had waiting jobs moves again. One EVAL per queue: a fixed script, the
// queue's keys as KEYS; it only reads (TYPE, LLEN, ZCARD, SCARD, PTTL), so it runs on a Redis that
// refuses writes (OOM, MISCONF) too.
import type { Action } from '../action.js';
import type { Finding, StepContext } from '../model.js';
import type { ExecResult } from '../result.js';
import { couldNotRun, diagnose, verify } from './common-steps.js';
import { num } from './facts.js';

const T = 15_000;
const redis = { at: 'redis' } as const;

/** The parts of a queue counted, in the order the script returns them; then the stalled-check TTL. */
export const QUEUE_PARTS = [
  'wait',
  'active',
  'paused',
  'prioritized',
  'delayed',
  'failed',
  'completed',
  'stalled',
] as const;
type Part = (typeof QUEUE_PARTS)[number];
export type QueueCounts = Record<Part, number> & { stalledCheckTtl: number };

// -1 for a key of an unexpected type: counted as unread, never as zero.
export const COUNT_SCRIPT = [
  'local out = {}',
  'for i, k in ipairs(KEYS) do',
  'if i == #KEYS then out[i] = redis.call("PTTL", k) else',
  'local t = redis.call("TYPE", k).ok',
  'if t == "none" then out[i] = 0',
  'elseif t == "list" then out[i] = redis.call("LLEN", k)',
  'elseif t == "zset" then out[i] = redis.call("ZCARD", k)',
  'elseif t == "set" then out[i] = redis.call("SCARD", k)',
  'else out[i] = -1 end',
  'end',
  'end',
  'return out',
].join(' ');

export const queueFact = (queue: string, what: string) => `queue.${queue}.${what}`;

export function countAction(ctx: StepContext): Action | null {
  const q = ctx.target.queues;
  if (!q || ctx.item === undefined) return null;
  const keys = [...QUEUE_PARTS, 'stalled-check'].map((p) => `${q.prefix}:${ctx.item}:${p}`);
  return { kind: 'redis', place: redis, args: ['EVAL', COUNT_SCRIPT, String(keys.length), ...keys] };
}

/** The counts redis-cli printed (one integer a line), or undefined when that is not what came back. */
export function parseCounts(r: ExecResult): QueueCounts | undefined {
  if (r.exitCode !== 0 || r.truncated || r.timedOut) return undefined;
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().replace(/^\d+\)\s*(?:\(integer\)\s*)?/, ''));
  if (lines.length !== QUEUE_PARTS.length + 1 || !lines.every((l) => /^-?\d+$/.test(l))) return undefined;
  const n = lines.map(Number);
  if (n.slice(0, QUEUE_PARTS.length).some((x) => x < 0)) return undefined;
  const counts = Object.fromEntries(QUEUE_PARTS.map((p, i) => [p, n[i] ?? 0])) as Record<Part, number>;
  return { ...counts, stalledCheckTtl: n[QUEUE_PARTS.length] ?? -2 };
}

const summary = (c: QueueCounts) =>
  `${c.wait} waiting, ${c.active} active, ${c.failed} failed, ${c.delayed} delayed, ${c.stalled} stalled, ${c.completed} completed`;

export const queueCountsStep = diagnose({
  id: 'queue-counts',
  title: 'BullMQ queue counts',
  forEach: 'queue',
  action: countAction,
  analyze: (r, ctx) => {
    const q = ctx.item ?? '?';
    const c = parseCounts(r);
    if (!c) return couldNotRun(`count the jobs of queue ${q}`, r);
    const ev = [
      summary(c),
      `stalled-check ${c.stalledCheckTtl < 0 ? 'absent' : `expires in ${c.stalledCheckTtl} ms`}`,
    ];
    // Workers renew stalled-check at every stalled-jobs check: absent with jobs waiting and none
    // active, no worker is taking jobs from this queue.
    const idle = c.wait + c.prioritized > 0 && c.active === 0 && c.stalledCheckTtl < 0;
    const finding: Finding = idle
      ? {
          code: 'queue-not-moving',
          severity: 'warning',
          statement: `Queue ${q} has ${c.wait + c.prioritized} jobs waiting and no worker taking them (none active, no stalled-check)`,
          evidence: ev,
        }
      : {
          code: 'queue-counts',
          severity: c.failed > 0 || c.stalled > 0 ? 'info' : 'ok',
          statement: `Queue ${q}: ${summary(c)}`,
          evidence: ev,
        };
    return {
      findings: [finding],
      facts: {
        [queueFact(q, 'waiting')]: c.wait + c.prioritized,
        [queueFact(q, 'completed')]: c.completed,
      },
    };
  },
  emits: ['queue-counts', 'queue-not-moving'],
  timeoutMs: T,
});

/**
 * After a repair: a queue that had jobs waiting moves again, that is fewer wait or more completed
 * than the diagnosis counted. A queue with nothing waiting has nothing to show and passes.
 */
export const verifyQueueMoves = verify({
  id: 'verify-queue-moves',
  title: 'Each queue with waiting jobs moves again',
  forEach: 'queue',
  action: countAction,
  check: (r, ctx) => {
    const q = ctx.item ?? '?';
    const c = parseCounts(r);
    if (!c)
      return {
        passed: false,
        statement: `${q}: counts not read`,
        evidence: [],
        unread: 'the counts could not be read',
      };
    const waited = num(ctx.facts, queueFact(q, 'waiting'));
    const done = num(ctx.facts, queueFact(q, 'completed'));
    if (waited === undefined || done === undefined)
      return {
        passed: false,
        statement: `${q}: no count from before the repair`,
        evidence: [summary(c)],
        unread: 'the diagnosis did not count this queue',
      };
    const moved = waited === 0 || c.wait + c.prioritized < waited || c.completed > done;
    return {
      passed: moved,
      pending: !moved,
      statement: moved
        ? `Queue ${q} moves: ${waited} → ${c.wait + c.prioritized} waiting, ${done} → ${c.completed} completed`
        : `Queue ${q} does not move: still ${c.wait + c.prioritized} waiting, ${c.completed} completed`,
      evidence: [summary(c)],
    };
  },
  timeoutMs: T,
  retry: { attempts: 10, delayMs: 1000 },
});
