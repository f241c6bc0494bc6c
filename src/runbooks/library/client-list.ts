// Seed 004's "who holds the connections", read on Redis itself: CLIENT LIST gives each connection's
// address, age, idle time, flags and last command; the client containers' own socket tables
// (client-connections) say whose address it is. Pub/sub subscribers are the case Redis's idle
// timeout never closes: CONFIG SET timeout exempts them, so they stay until killed or restarted.
import { infoNumber, parseInfo } from '../analyzers/redis-info.js';
import type { Facts, Finding, StepContext } from '../model.js';
import { CUT, couldNotRun, diagnose, verify } from './common-steps.js';
import { clientFact, list, num } from './facts.js';
import { guarded } from './step-builders.js';

const redis = { at: 'redis' } as const;
const running = { not: { finding: 'container-not-running' } } as const;
/** Younger subscribers are left alone: they may have just connected and not yet been used. */
const MIN_IDLE_S = 5;
const MAX_KILLS = 100;

export interface ClientEntry {
  id: string;
  addr: string;
  name: string;
  age: number;
  idle: number;
  flags: string;
  cmd: string;
  pubsub: boolean;
}

export function parseClientList(text: string): ClientEntry[] {
  const out: ClientEntry[] = [];
  for (const line of text.split('\n')) {
    const f = new Map(
      line
        .trim()
        .split(' ')
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
    );
    const id = f.get('id');
    if (!id || !/^\d+$/.test(id)) continue;
    const n = (k: string) => Number(f.get(k) ?? 0) || 0;
    const flags = f.get('flags') ?? '';
    out.push({
      id,
      addr: f.get('addr') ?? '?',
      name: f.get('name') ?? '',
      age: n('age'),
      idle: n('idle'),
      flags,
      cmd: f.get('cmd') ?? '',
      pubsub: flags.includes('P') || n('sub') + n('psub') + n('ssub') > 0,
    });
  }
  return out;
}

/** Whose connection an address is: the client whose socket table holds it, else its address. */
function sourceOf(ctx: StepContext, addr: string): string {
  for (const c of ctx.target.clients)
    if (list(ctx.facts, clientFact(c.name, 'endpoints')).includes(addr)) return c.name;
  return `${addr.replace(/:\d+$/, '')} (no client in the targets file)`;
}

export const clientListStep = diagnose({
  id: 'client-list',
  title: 'CLIENT LIST: who holds the connections',
  needs: ['info-clients', 'client-connections'],
  // Near the limit only; once it is reached, Redis refuses this connection too.
  when: { all: [running, { finding: 'clients-high' }] },
  action: () => ({ kind: 'redis', place: redis, args: ['CLIENT', 'LIST'] }),
  analyze: (r, ctx) => {
    if (r.truncated) return couldNotRun('read CLIENT LIST', r, CUT);
    // Our own connection is the one running CLIENT LIST.
    const all = parseClientList(r.stdout).filter((c) => c.cmd !== 'client|list' && c.cmd !== 'client');
    if (r.exitCode !== 0 || (all.length === 0 && !/^id=/m.test(r.stdout)))
      return couldNotRun('read CLIENT LIST', r);
    const by = new Map<string, ClientEntry[]>();
    for (const c of all) by.set(sourceOf(ctx, c.addr), [...(by.get(sourceOf(ctx, c.addr)) ?? []), c]);
    const sources = [...by.entries()].sort((a, b) => b[1].length - a[1].length);
    const evidence = sources.slice(0, 5).map(([who, cs]) => {
      const subs = cs.filter((c) => c.pubsub).length;
      return `${who}: ${cs.length} connections, ${subs} pub/sub, idle up to ${Math.max(...cs.map((c) => c.idle))} s`;
    });
    evidence.push(
      ...all
        .slice(0, 5)
        .map((c) => `id=${c.id} addr=${c.addr} age=${c.age} idle=${c.idle} flags=${c.flags} cmd=${c.cmd}`),
    );
    const [top, held] = sources[0] ?? ['?', []];
    const idleSubs = held.filter((c) => c.pubsub && c.idle >= MIN_IDLE_S);
    const inUse = num(ctx.facts, 'clients.connected') ?? all.length;
    if (idleSubs.length > 0 && idleSubs.length * 2 >= inUse) {
      const finding: Finding = {
        code: 'pubsub-idle',
        severity: 'critical',
        statement: `${top} holds ${idleSubs.length} idle pub/sub connections of the ${inUse} in use (idle ${Math.min(...idleSubs.map((c) => c.idle))}–${Math.max(...idleSubs.map((c) => c.idle))} s), near maxclients. Idle alone does not tell a leak from subscribers waiting for messages: closing them drops any in use, which must reconnect. CONFIG SET timeout does not close pub/sub clients (Redis exempts them), so they stay until closed or their app restarts`,
        evidence,
      };
      const facts: Facts = {
        'clients.pubsubHolder': top,
        'clients.pubsubIds': idleSubs.slice(0, MAX_KILLS).map((c) => c.id),
      };
      return { findings: [finding], facts };
    }
    const statement = `${all.length} connections from ${sources.length} sources; the most from ${top} (${held.length})`;
    return { findings: [{ code: 'client-list', severity: 'info', statement, evidence }] };
  },
  emits: ['pubsub-idle', 'client-list'],
  timeoutMs: 15_000,
});

export const verifyClientsRelieved = verify({
  id: 'verify-clients-relieved',
  title: 'Connections are back under 80% of maxclients',
  action: () => ({ kind: 'redis', place: redis, args: ['INFO', 'clients'] }),
  check: (r) => {
    const info = parseInfo(r.stdout);
    const connected = infoNumber(info, 'connected_clients');
    const max = infoNumber(info, 'maxclients');
    const passed = connected !== undefined && max !== undefined && connected < max * 0.8;
    return {
      passed,
      pending: !passed,
      statement: `${connected ?? '?'} of ${max ?? '?'} connections in use`,
      evidence: [`connected_clients:${connected ?? '?'}`, `maxclients:${max ?? '?'}`],
    };
  },
  timeoutMs: 15_000,
  retry: { attempts: 10, delayMs: 500 },
});

export const killPubsubRepair = guarded({
  id: 'kill-idle-pubsub',
  title:
    'Close the idle pub/sub connections of the client holding them (CLIENT KILL ID, one per connection): CONFIG SET timeout would not close them',
  gate: { id: 'approve-kill-pubsub', title: 'Approve closing the idle pub/sub connections' },
  precondition: { step: 'client-list', findings: ['pubsub-idle'] },
  risk: 'medium',
  actions: (ctx) => {
    const ids = list(ctx.facts, 'clients.pubsubIds').filter((id) => /^\d{1,19}$/.test(id));
    return ids.length === 0
      ? null
      : ids.map((id) => ({ kind: 'redis', place: redis, args: ['CLIENT', 'KILL', 'ID', id] }));
  },
  verify: ['verify-ping', 'verify-clients-relieved'],
  undo: 'None: a closed connection cannot be reopened by Redis; a subscriber still in use reconnects, and restarting {clients.pubsubHolder} reopens what it needs',
  onSuccess: 'recheck',
  onFailure: 'escalate-repair-failed',
  timeoutMs: 60_000,
});
