import { classifyReply, type Reply } from '../analyzers/redis-reply.js';
import type { Analysis, Finding } from '../model.js';
import { couldNotRun, diagnose } from './common-steps.js';

// PING from Redis's own host: whether Redis itself answers, before any theory about its clients.
const redis = { at: 'redis' } as const;
const running = { not: { finding: 'container-not-running' } } as const;

/** Findings for replies that mean Redis itself is not serving, whoever asked. */
export function notServing(reply: Reply): Finding | undefined {
  const ev = [reply.line];
  switch (reply.kind) {
    case 'loading':
      return {
        code: 'redis-loading',
        severity: 'critical',
        statement: 'Redis is loading its dataset into memory and refuses commands until it is done (LOADING)',
        evidence: ev,
      };
    case 'busy':
      return {
        code: 'redis-busy',
        severity: 'critical',
        statement: 'Redis is blocked running a script or function and answers only BUSY',
        evidence: ev,
      };
    case 'masterdown':
      return {
        code: 'master-down',
        severity: 'critical',
        statement: 'This replica lost its link to the master and refuses to serve stale data (MASTERDOWN)',
        evidence: ev,
      };
    default:
      return undefined;
  }
}

const PING_T = 5_000;

export const pingStep = diagnose({
  id: 'ping',
  title: 'PING from the Redis side',
  needs: ['container'],
  when: running,
  action: () => ({ kind: 'redis', place: redis, args: ['PING'] }),
  analyze: (r) => {
    const reply = classifyReply(r);
    const ev = [reply.line];
    const one = (f: Finding, answers = true): Analysis => ({
      findings: [f],
      ...(answers ? { facts: { 'redis.answers': true } } : {}),
    });
    const stuck = notServing(reply);
    if (stuck) return one(stuck);
    // The exec reached the Redis host (not unreachable) and redis-cli got no reply from 127.0.0.1:
    // Redis itself does not answer (frozen, stopped, swapping). A reading, not a blind spot.
    if (!r.unreachable && (r.timedOut || reply.kind === 'timeout') && r.exitCode !== 127)
      return one(
        {
          code: 'redis-unresponsive',
          severity: 'critical',
          statement: `Redis does not answer PING from its own host (${r.timedOut ? `no reply within ${PING_T / 1000} s` : reply.line}): it is frozen or overloaded`,
          evidence: [r.timedOut ? `redis-cli PING: no reply within ${PING_T / 1000} s` : reply.line],
        },
        false,
      );
    switch (reply.kind) {
      case 'ok':
        // Exit 0 is not an answer: only PONG is.
        if (reply.line !== 'PONG')
          return couldNotRun('PING Redis', r, `the reply was not PONG: "${reply.line.slice(0, 80)}"`);
        return one({ code: 'ping-ok', severity: 'ok', statement: 'Redis answers PING', evidence: ev });
      case 'misconf':
        return one({
          code: 'misconf',
          severity: 'critical',
          statement: 'Redis refuses writes (MISCONF): its last background save failed',
          evidence: ev,
        });
      case 'wrongpass':
      case 'noauth':
        return one(
          {
            code: 'auth-refused',
            severity: 'critical',
            statement:
              reply.kind === 'noauth'
                ? 'Redis requires a password the target is not configured with (NOAUTH)'
                : 'Redis refused the configured credentials (WRONGPASS)',
            evidence: ev,
          },
          false,
        );
      case 'max-clients':
        return one(
          {
            code: 'clients-exhausted',
            severity: 'critical',
            statement: 'Redis refuses new connections: max number of clients reached',
            evidence: ev,
          },
          false,
        );
      case 'refused':
        return one(
          {
            code: 'redis-not-listening',
            severity: 'critical',
            statement: 'Nothing accepts connections on the Redis port',
            evidence: ev,
          },
          false,
        );
      case 'error':
        // A reply from Redis itself (an error code word) is a reading; anything else is not.
        if (/^[A-Z]{3,}\b/.test(reply.line))
          return one({
            code: 'ping-failed',
            severity: 'critical',
            statement: `PING failed: ${reply.line}`,
            evidence: ev,
          });
        return couldNotRun('PING Redis', r);
      default:
        return couldNotRun('PING Redis', r);
    }
  },
  emits: [
    'ping-ok',
    'misconf',
    'auth-refused',
    'clients-exhausted',
    'redis-not-listening',
    'ping-failed',
    'redis-unresponsive',
    'redis-loading',
    'redis-busy',
    'master-down',
  ],
  timeoutMs: PING_T,
});
