import { parseInspect } from '../analyzers/container-inspect.js';
import { joinEndpoint, parseProcNetTcp } from '../analyzers/proc-net-tcp.js';
import { classifyReply } from '../analyzers/redis-reply.js';
import type { Analysis, Finding, StepContext } from '../model.js';
import { couldNotRun, diagnose } from './common-steps.js';
import { clientFact, list, num, SAFE_NAME } from './facts.js';
import { notServing } from './ping-step.js';

// Checks run from each client container: can it reach Redis, on which network, holding how many
// connections.
const T = 15_000;
const running = { not: { finding: 'container-not-running' } } as const;
export const clientPlace = (ctx: StepContext) =>
  ctx.item === undefined ? null : { at: 'client' as const, client: ctx.item };

export const clientPingStep = diagnose({
  id: 'client-ping',
  title: 'PING from the client',
  needs: ['container'],
  when: running,
  forEach: 'client',
  action: (ctx) => {
    const place = clientPlace(ctx);
    return place && { kind: 'redis', place, args: ['PING'] };
  },
  analyze: (r, ctx) => {
    const c = ctx.item ?? '?';
    const reply = classifyReply(r);
    const ev = [reply.line];
    const reach = (reachable: boolean, f: Finding): Analysis => ({
      findings: [f],
      facts: { [clientFact(c, 'reachable')]: reachable },
    });
    switch (reply.kind) {
      case 'ok':
        if (reply.line !== 'PONG')
          return couldNotRun(
            `PING Redis from ${c}`,
            r,
            `the reply was not PONG: "${reply.line.slice(0, 80)}"`,
          );
        return reach(true, {
          code: 'client-reaches-redis',
          severity: 'ok',
          statement: `${c} reaches Redis (PONG)`,
          evidence: ev,
        });
      case 'noauth':
        return reach(true, {
          code: 'client-reaches-redis',
          severity: 'ok',
          statement: `${c} reaches Redis, which asks for a password`,
          evidence: ev,
        });
      case 'dns':
        return reach(false, {
          code: 'client-dns-failure',
          severity: 'critical',
          statement: `${c} cannot resolve the Redis host name ${ctx.target.redis.host}`,
          evidence: ev,
        });
      case 'refused':
      case 'timeout':
      case 'net-unreachable':
        // A step that ran out of time without any word from redis-cli is not a network reading.
        if (r.timedOut && reply.kind === 'timeout') return couldNotRun(`PING Redis from ${c}`, r);
        return reach(false, {
          code: 'client-tcp-failure',
          severity: 'critical',
          statement: `${c} cannot open a TCP connection to Redis (${reply.line})`,
          evidence: ev,
        });
      case 'misconf':
        return reach(true, {
          code: 'misconf',
          severity: 'critical',
          statement: `${c} gets MISCONF: Redis refuses writes because saves fail`,
          evidence: ev,
        });
      case 'max-clients':
        return reach(false, {
          code: 'clients-exhausted',
          severity: 'critical',
          statement: `${c} is refused: max number of clients reached`,
          evidence: ev,
        });
      case 'wrongpass':
        return reach(false, {
          code: 'auth-refused',
          severity: 'critical',
          statement: `${c} is refused by Redis authentication`,
          evidence: ev,
        });
      default: {
        const stuck = notServing(reply);
        return stuck ? reach(true, stuck) : couldNotRun(`PING Redis from ${c}`, r);
      }
    }
  },
  emits: [
    'client-reaches-redis',
    'client-dns-failure',
    'client-tcp-failure',
    'misconf',
    'clients-exhausted',
    'auth-refused',
    'redis-loading',
    'redis-busy',
    'master-down',
  ],
  timeoutMs: T,
});

export const clientNetworkStep = diagnose({
  id: 'client-network',
  title: 'Networks of the client against Redis',
  // After the client's PING: a client on another network that reaches Redis anyway needs no repair.
  needs: ['container', 'client-ping'],
  when: running,
  forEach: 'client',
  action: (ctx) => {
    const place = clientPlace(ctx);
    return place && { kind: 'inspect', place };
  },
  analyze: (r, ctx) => {
    const c = ctx.item ?? '?';
    const client = r.truncated ? null : parseInspect(r.stdout);
    if (!client) return couldNotRun(`inspect client ${c}`, r);
    if (ctx.facts['redis.networks'] === undefined)
      return couldNotRun(
        `compare ${c}'s networks with Redis's`,
        r,
        'the Redis container could not be inspected, so its networks are unknown',
      );
    const redisNets = list(ctx.facts, 'redis.networks');
    const shared = client.networks.filter((n) => redisNets.includes(n));
    const ev = [
      `${c}: ${client.networks.join(', ') || '(none)'}`,
      `${ctx.target.redis.container ?? 'redis'}: ${redisNets.join(', ') || '(none)'}`,
    ];
    if (shared.length > 0)
      return {
        findings: [
          {
            code: 'network-shared',
            severity: 'ok',
            statement: `${c} and Redis share network ${shared.join(', ')}`,
            evidence: ev,
          },
        ],
      };
    const net = client.networks.find((n) => SAFE_NAME.test(n));
    const where = `${c} is on ${client.networks.join(', ') || 'none'}, Redis on ${redisNets.join(', ') || 'none'}`;
    if (ctx.facts[clientFact(c, 'reachable')] === true)
      return {
        findings: [
          {
            code: 'network-mismatch-reachable',
            severity: 'info',
            statement: `${c} and Redis share no network, but ${c} reaches Redis anyway: ${where}`,
            evidence: ev,
          },
        ],
      };
    return {
      findings: [
        {
          code: 'network-mismatch',
          severity: 'critical',
          statement: `${c} and Redis share no network: ${where}`,
          evidence: ev,
        },
      ],
      facts: net ? { [clientFact(c, 'network')]: net } : {},
    };
  },
  emits: ['network-shared', 'network-mismatch', 'network-mismatch-reachable'],
  timeoutMs: T,
});

// The kernel's own tables, so no netstat or ss is needed in the client image (seed 004).
const READ_TCP = 'cat /proc/net/tcp; cat /proc/net/tcp6 2>/dev/null; exit 0';
const ENDPOINT = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]):\d{1,5}$/;

export const clientConnectionsStep = diagnose({
  id: 'client-connections',
  title: 'Connections each client holds to Redis (/proc/net/tcp)',
  needs: ['ping', 'info-clients'],
  when: { any: [{ finding: 'clients-exhausted' }, { finding: 'clients-high' }] },
  forEach: 'client',
  action: (ctx) => {
    const place = clientPlace(ctx);
    return place && { kind: 'exec', place, argv: ['sh', '-c', READ_TCP] };
  },
  analyze: (r, ctx) => {
    const c = ctx.item ?? '?';
    const port = ctx.target.redis.port;
    const all = r.exitCode === 0 && !r.truncated ? parseProcNetTcp(r.stdout) : undefined;
    if (all === undefined) return couldNotRun(`count the connections held by ${c}`, r);
    const mine = all.filter((t) => t.remotePort === port);
    const n = mine.length;
    const best = num(ctx.facts, 'clients.holderCount') ?? 0;
    // The client's side of each connection: what Redis's CLIENT LIST shows as addr.
    const endpoints = mine.map((t) => joinEndpoint(t.local, t.localPort)).filter((e) => ENDPOINT.test(e));
    const shown = mine
      .slice(0, 3)
      .map(
        (t) => `${joinEndpoint(t.local, t.localPort)} → ${joinEndpoint(t.remote, t.remotePort)} ESTABLISHED`,
      );
    return {
      findings: [
        {
          code: 'client-connections',
          severity: n > 0 ? 'warning' : 'info',
          statement: `${c} holds ${n} connections to Redis`,
          evidence: [...shown, ...(n > 3 ? [`… ${n - 3} more`] : [])],
        },
      ],
      facts: {
        [clientFact(c, 'connections')]: n,
        [clientFact(c, 'endpoints')]: endpoints.slice(0, 500),
        ...(n > best ? { 'clients.holder': c, 'clients.holderCount': n } : {}),
      },
    };
  },
  emits: ['client-connections'],
  timeoutMs: T,
});

// A replica that lost its master answers PING and INFO (both allowed on a stale replica) while its
// clients get MASTERDOWN on every data command: only INFO replication tells.
