// Read-only checks run after a repair, shared by both runbooks. A check that is not settled yet
// (Redis still loading, a save still running, MISCONF not yet lifted) says pending and is retried.
import { parseInspect } from '../analyzers/container-inspect.js';
import { infoLine, infoNumber, parseInfo } from '../analyzers/redis-info.js';
import { classifyReply } from '../analyzers/redis-reply.js';
import { allOutput } from '../result.js';
import { clientPlace } from './client-steps.js';
import { verify } from './common-steps.js';
import { clientFact } from './facts.js';

const redis = { at: 'redis' } as const;
const T = 15_000;

export const verifyRunning = verify({
  id: 'verify-running',
  title: 'Redis container is running',
  action: () => ({ kind: 'inspect', place: redis }),
  check: (r) => {
    const c = parseInspect(r.stdout);
    const ev = c ? [`State.Status=${c.status} Running=${c.running}`] : [allOutput(r).slice(0, 200)];
    return {
      passed: c?.running === true,
      statement: c?.running ? 'The container is running' : 'The container is not running',
      evidence: ev,
    };
  },
  timeoutMs: T,
});

export const verifyPing = verify({
  id: 'verify-ping',
  title: 'Redis answers PING',
  needs: ['verify-running'],
  action: () => ({ kind: 'redis', place: redis, args: ['PING'] }),
  check: (r) => {
    const reply = classifyReply(r);
    const passed = reply.kind === 'ok' && reply.line === 'PONG';
    // Just after a start Redis may still be loading; just after a permission fix, MISCONF lifts only
    // once a background save has succeeded.
    const pending = !passed && ['loading', 'refused', 'max-clients', 'misconf', 'error'].includes(reply.kind);
    return {
      passed,
      pending,
      statement: passed ? 'PING → PONG' : `PING → ${reply.line}`,
      evidence: [reply.line],
    };
  },
  timeoutMs: T,
  retry: { attempts: 10, delayMs: 500 },
});

export const verifyBgsave = verify({
  id: 'verify-bgsave',
  title: 'BGSAVE is accepted',
  needs: ['verify-running'],
  action: () => ({ kind: 'redis', place: redis, args: ['BGSAVE'] }),
  check: (r) => {
    const reply = classifyReply(r);
    const passed = /Background saving started/.test(r.stdout);
    // A save started before the repair may still be running and then fail: wait to start our own.
    return {
      passed,
      // Another child (an AOF rewrite, a save already running) holds the fork: wait for it.
      pending:
        reply.kind === 'loading' ||
        /already in progress|can't BGSAVE right now|Another child process is active|AOF log rewriting in progress/i.test(
          allOutput(r),
        ),
      statement: `BGSAVE → ${reply.line}`,
      evidence: [reply.line],
    };
  },
  timeoutMs: T,
  retry: { attempts: 10, delayMs: 500 },
});

export const verifySaveStatus = verify({
  id: 'verify-save-status',
  title: 'rdb_last_bgsave_status is ok',
  needs: ['verify-bgsave'],
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'persistence'] }),
  check: (r) => {
    const info = parseInfo(r.stdout);
    const inProgress = info.get('rdb_bgsave_in_progress') === '1';
    const ok = info.get('rdb_last_bgsave_status') === 'ok';
    // Read after our own BGSAVE: "err" once no save is running is the answer, not a wait.
    return {
      passed: ok && !inProgress,
      pending: inProgress,
      statement: ok ? 'The background save succeeded' : 'The background save still fails',
      evidence: [infoLine(info, 'rdb_bgsave_in_progress'), infoLine(info, 'rdb_last_bgsave_status')],
    };
  },
  timeoutMs: T,
  retry: { attempts: 10, delayMs: 500 },
});

/**
 * A write is accepted. `own` is the refusal this repair is meant to end; the other one means the
 * repair worked and a second fault stands in the way (Redis checks OOM before MISCONF), which the
 * diagnosis after the repair takes up.
 */
function writeCheck(id: string, own: 'misconf' | 'oom') {
  const other =
    own === 'misconf' ? { kind: 'oom', code: 'maxmemory-reached' } : { kind: 'misconf', code: 'misconf' };
  return verify({
    id,
    title: `A write is accepted (no ${own === 'misconf' ? 'MISCONF' : 'OOM'})`,
    needs: ['verify-ping'],
    action: () => ({ kind: 'redis', place: redis, args: ['SET', 'runbook-bot:verify', 'ok', 'EX', '60'] }),
    check: (r) => {
      const reply = classifyReply(r);
      const passed = reply.kind === 'ok' && reply.line === 'OK';
      const otherFault = reply.kind === other.kind ? other.code : undefined;
      return {
        passed,
        // MISCONF lifts only once a background save has succeeded, which may take a moment.
        pending: reply.kind === 'misconf' && own === 'misconf',
        statement: passed ? 'SET → OK' : `SET → ${reply.line}`,
        evidence: [reply.line],
        ...(otherFault ? { otherFault } : {}),
      };
    },
    timeoutMs: T,
    retry: { attempts: 10, delayMs: 500 },
  });
}

export const verifyWrite = writeCheck('verify-write', 'misconf');
export const verifyWriteMemory = writeCheck('verify-write-memory', 'oom');

export const verifyClientPing = verify({
  id: 'verify-client-ping',
  title: 'Each client gets PONG',
  forEach: 'client',
  action: (ctx) => {
    const place = clientPlace(ctx);
    return place && { kind: 'redis', place, args: ['PING'] };
  },
  check: (r, ctx) => {
    const reply = classifyReply(r);
    const passed = reply.kind === 'ok' && reply.line === 'PONG';
    // The client reaches Redis, which refuses for persistence: the network fix worked.
    const otherFault = reply.kind === 'misconf' ? 'misconf' : undefined;
    // Whether this client reaches Redis after the fix: a restart is proposed only for one that does not.
    const reached = passed || otherFault !== undefined;
    return {
      passed,
      pending: !passed && !otherFault,
      statement: `${ctx.item}: PING → ${reply.line}`,
      evidence: [reply.line],
      ...(otherFault ? { otherFault } : {}),
      ...(ctx.item ? { facts: { [clientFact(ctx.item, 'reachable')]: reached } } : {}),
    };
  },
  timeoutMs: T,
  retry: { attempts: 10, delayMs: 500 },
});

export const verifyMemory = verify({
  id: 'verify-memory',
  title: 'Memory is under maxmemory',
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'memory'] }),
  check: (r) => {
    const info = parseInfo(r.stdout);
    const used = infoNumber(info, 'used_memory');
    const max = infoNumber(info, 'maxmemory');
    const passed = used !== undefined && max !== undefined && (max === 0 || used < max * 0.95);
    return {
      passed,
      statement: passed ? 'Memory is under the limit' : 'Memory is still at the limit',
      evidence: [infoLine(info, 'used_memory_human'), infoLine(info, 'maxmemory_human')],
    };
  },
  timeoutMs: T,
});

export const verifyClients = verify({
  id: 'verify-clients',
  title: 'Connections are below maxclients',
  needs: ['verify-ping'],
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'clients'] }),
  check: (r) => {
    const info = parseInfo(r.stdout);
    const connected = infoNumber(info, 'connected_clients');
    const max = infoNumber(info, 'maxclients');
    const passed = connected !== undefined && (max === undefined || connected < max);
    return {
      passed,
      pending: !passed,
      statement: passed ? `${connected} of ${max} connections in use` : 'Connections still exhausted',
      evidence: [
        infoLine(info, 'connected_clients'),
        infoLine(info, 'maxclients'),
        allOutput(r).split('\n')[0] ?? '',
      ],
    };
  },
  timeoutMs: T,
  retry: { attempts: 10, delayMs: 500 },
});
