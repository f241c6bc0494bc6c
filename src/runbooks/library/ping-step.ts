import { classifyReply, type Reply } from '../analyzers/redis-reply.js';
import type { Analysis, Finding } from '../model.js';
import type { ExecResult } from '../result.js';
import type { TargetView } from '../target.js';
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

/** The typed refusals (seed 002): each its own code, since each has its own fix. */
export const AUTH_CODES = ['auth-noauth', 'auth-wrongpass', 'auth-noperm'] as const;

/** What a NOAUTH, WRONGPASS or NOPERM reply means for this target, as a finding of its own. */
export function authDetail(reply: Reply, target: TargetView): Finding {
  const who = target.redis.username ? `ACL user ${target.redis.username}` : 'the default user';
  const ev = [
    reply.line,
    `target: ${who}, ${target.redis.hasPassword ? 'a password from passwordEnv' : 'no password configured'}`,
  ];
  switch (reply.kind) {
    case 'noauth':
      return {
        code: 'auth-noauth',
        severity: 'critical',
        statement: target.redis.hasPassword
          ? `Redis wants authentication and the ${who} got none through (NOAUTH)`
          : 'Redis wants a password and the target has none (NOAUTH): set passwordEnv (and username for an ACL user)',
        evidence: ev,
      };
    case 'noperm':
      return {
        code: 'auth-noperm',
        severity: 'critical',
        statement: `The ${who} authenticates but lacks the permission for a command (NOPERM)`,
        evidence: ev,
      };
    default:
      return {
        code: 'auth-wrongpass',
        severity: 'critical',
        statement: `Redis refuses the ${who} and its password (WRONGPASS): a wrong password, or the user does not exist or is off`,
        evidence: ev,
      };
  }
}

function analyzePing(r: ExecResult, target: TargetView): Analysis {
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
      // auth-refused is what every runbook branches on; the typed finding beside it says which
      // refusal it was, since the fixes differ (no password sent vs. a wrong user or password).
      return {
        findings: [
          {
            code: 'auth-refused',
            severity: 'critical',
            statement:
              reply.kind === 'noauth'
                ? 'Redis requires a password the target is not configured with (NOAUTH)'
                : 'Redis refused the configured credentials (WRONGPASS)',
            evidence: ev,
          },
          authDetail(reply, target),
        ],
        facts: { 'redis.auth': reply.kind },
      };
    case 'noperm':
      // Connected and authenticated, but this user may not run PING: Redis answers, the ACL does not let it.
      return {
        findings: [authDetail(reply, target)],
        facts: { 'redis.answers': true, 'redis.auth': 'noperm' },
      };
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
}

export const pingStep = diagnose({
  id: 'ping',
  title: 'PING from the Redis side',
  needs: ['container'],
  when: running,
  action: () => ({ kind: 'redis', place: redis, args: ['PING'] }),
  analyze: (r, ctx) => {
    const a = analyzePing(r, ctx.target);
    // Who the bot logs in as, for the ACL steps that follow (a name, never a secret).
    const user = ctx.target.redis.username;
    return {
      ...a,
      facts: { ...a.facts, 'redis.acl': user !== undefined, ...(user ? { 'redis.aclUser': user } : {}) },
    };
  },
  emits: [
    'ping-ok',
    'misconf',
    'auth-refused',
    ...AUTH_CODES,
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
