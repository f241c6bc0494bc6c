import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type IncidentMeta, parseMeta } from '../incidents/meta.js';
import { outboxEntrySchema, parsePayload } from '../incidents/payloads.js';
import type { IncidentRecord, OutboxEntry, RunStore } from '../incidents/ports.js';
import { type IncidentListing, type RunSummary, runSummarySchema, summaryOf } from '../incidents/summary.js';
import type { EngineCommand, RunState } from '../runbooks/index.js';
import { RunbookBotError, runStateSchema } from '../runbooks/index.js';

// Compare-and-set of the state together with the commands it produced, in one step: either both
// land or neither does.
// The outbox as it then stands comes back with it: the flush after a write reads nothing more.
const SAVE = `
local v = redis.call('HGET', KEYS[1], 'version')
if not v or tonumber(v) ~= tonumber(ARGV[1]) then return 0 end
local next = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'summary', ARGV[4], 'summaryVersion', next, 'stamp', ARGV[5], 'version', next)
if #ARGV > 5 then
  for i = 6, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
  redis.call('SADD', KEYS[3], ARGV[3])
end
return redis.call('LRANGE', KEYS[2], 0, -1)`;

// The state only when it is not the one this process already holds: its stamp (ARGV[1], '' for
// none) and its version (ARGV[2]). Every write stamps the state anew, so a Redis restored from an
// older snapshot, whose versions count up again, never hands back a stale match; the version catches
// a writer that stamps nothing (a process still on a version of the bot from before stamps).
const LOAD = `
local h = redis.call('HMGET', KEYS[1], 'version', 'meta', 'target', 'stamp')
if not h[1] then return false end
if h[4] and h[4] == ARGV[1] and h[1] == ARGV[2] then return {h[1], h[2], h[3], h[4]} end
return {h[1], h[2], h[3], h[4], redis.call('HGET', KEYS[1], 'state')}`;

// A summary derived on read (none was written, or an older writer left it behind its state) is
// written back, if the state has not moved on meanwhile.
const KEEP_SUMMARY = `
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'summary', ARGV[2], 'summaryVersion', ARGV[1])
return 1`;

// Meta is a flat object of strings (parseMeta checks it on every load), so cjson keeps it whole.
const MERGE_META = `
local raw = redis.call('HGET', KEYS[1], 'meta')
local meta = {}
if raw then meta = cjson.decode(raw) end
for k, v in pairs(cjson.decode(ARGV[1])) do meta[k] = v end
redis.call('HSET', KEYS[1], 'meta', cjson.encode(meta))
return 1`;

const ACK = `
for i = 2, #ARGV do redis.call('LREM', KEYS[1], 1, ARGV[i]) end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
return 1`;

/** How many incidents' states one process keeps parsed; a few hundred covers every open one. */
const CACHED = 256;

/** Incident state on the bot's own Redis (which should run with AOF): one hash per incident. */
export class RedisRunStore implements RunStore {
  // The state this process last wrote or read, with its stamp: a load that finds the same stamp
  // needs neither the state's bytes nor a parse. Frozen, because every caller of load shares it.
  private readonly states = new Map<string, { stamp: string; version: number; state: RunState }>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key = (...parts: string[]) => [this.prefix, 'inc', ...parts].join(':');

  private entries(version: number, commands: readonly EngineCommand[]): OutboxEntry[] {
    return commands.map((command, i) => ({ seq: `${version}.${i}`, command }));
  }

  /** Kept only with a stamp (a state an older writer left has none, so it could never be matched). */
  private remember(id: string, stamp: string | null, version: number, state: RunState): RunState {
    this.states.delete(id);
    if (stamp === null) return state;
    this.states.set(id, { stamp, version, state: deepFreeze(state) });
    if (this.states.size > CACHED) {
      const oldest = this.states.keys().next();
      if (!oldest.done) this.states.delete(oldest.value);
    }
    return state;
  }

  async nextId(): Promise<string> {
    const n = await this.redis.incr(this.key('seq'));
    return `INC-${String(n).padStart(4, '0')}`;
  }

  async create(
    record: Omit<IncidentRecord, 'version'>,
    commands: readonly EngineCommand[],
  ): Promise<OutboxEntry[]> {
    const m = this.redis.multi();
    const state = JSON.stringify(record.state);
    const stamp = newStamp();
    m.hset(this.key(record.id), {
      state,
      stamp,
      summary: JSON.stringify(summaryOf(record.state)),
      summaryVersion: 1,
      meta: JSON.stringify(record.meta),
      target: record.targetName,
      version: 1,
    });
    const entries = this.entries(1, commands);
    if (entries.length) {
      m.rpush(this.key(record.id, 'outbox'), ...entries.map((e) => JSON.stringify(e)));
      m.sadd(this.key('pending'), record.id);
    }
    m.zadd(this.key('recent'), record.state.startedAt, record.id);
    // Nil only if a WATCH on this connection fired: then nothing was written and the start must say so.
    if ((await m.exec()) === null)
      throw new RunbookBotError('STORE_CONFLICT', `incident ${record.id} was not written`);
    this.remember(record.id, stamp, 1, JSON.parse(state));
    return entries;
  }

  async load(id: string): Promise<IncidentRecord | null> {
    const held = this.states.get(id);
    const reply = (await this.redis.eval(
      LOAD,
      1,
      this.key(id),
      held?.stamp ?? '',
      String(held?.version ?? ''),
    )) as (string | null)[] | null;
    const [v, meta, target, stamp = null, raw] = reply ?? [];
    if (!v) return null;
    const version = Number(v);
    let state: RunState;
    if (raw) state = this.remember(id, stamp, version, this.parseState(id, raw));
    else if (held && held.stamp === stamp && held.version === version) {
      state = held.state;
      // Used now, so the last to be dropped.
      this.states.delete(id);
      this.states.set(id, held);
    } else return null;
    return {
      id,
      targetName: target ?? state.target.name,
      state,
      meta: this.metaOf(id, meta ?? undefined),
      version,
    };
  }

  private parseState(id: string, raw: string): RunState {
    const parsed = runStateSchema.safeParse(JSON.parse(raw));
    if (!parsed.success)
      throw new RunbookBotError('STATE_INVALID', `incident ${id}: ${parsed.error.message}`);
    return parsed.data;
  }

  async save(
    id: string,
    expected: number,
    state: RunState,
    commands: readonly EngineCommand[],
  ): Promise<OutboxEntry[] | null> {
    const keys = [this.key(id), this.key(id, 'outbox'), this.key('pending')];
    const mine = new Map(this.entries(expected + 1, commands).map((e) => [JSON.stringify(e), e]));
    const json = JSON.stringify(state);
    const stamp = newStamp();
    const args = [String(expected), json, id, JSON.stringify(summaryOf(state)), stamp, ...mine.keys()];
    const reply = (await this.redis.eval(SAVE, keys.length, ...keys, ...args)) as string[] | number;
    if (!Array.isArray(reply)) return null;
    this.remember(id, stamp, expected + 1, JSON.parse(json));
    // What this write queued is known as written; only what earlier writes left is parsed.
    return reply.map((r) => mine.get(r) ?? this.parseEntry(id, r));
  }

  private parseEntry(id: string, raw: string): OutboxEntry {
    const p = parsePayload(outboxEntrySchema, JSON.parse(raw));
    if (!p.ok) throw new RunbookBotError('STATE_INVALID', `incident ${id}: an outbox entry ${p.error}`);
    return p.value;
  }

  private metaOf(id: string, raw: string | undefined): IncidentMeta {
    if (!raw) return {};
    const parsed = parseMeta(JSON.parse(raw));
    if (!parsed.ok) throw new RunbookBotError('STATE_INVALID', `incident ${id}: its meta ${parsed.error}`);
    return parsed.meta;
  }

  async setMeta(id: string, patch: IncidentMeta): Promise<void> {
    // Merged inside Redis in one step: no WATCH, whose state belongs to the connection and would be
    // cleared by anyone's EXEC on it, and no patch written at the same moment is lost.
    await this.redis.eval(MERGE_META, 1, this.key(id), JSON.stringify(patch));
  }

  async outbox(id: string): Promise<OutboxEntry[]> {
    const raw = await this.redis.lrange(this.key(id, 'outbox'), 0, -1);
    return raw.map((r) => this.parseEntry(id, r));
  }

  async ack(id: string, entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const keys = [this.key(id, 'outbox'), this.key('pending')];
    await this.redis.eval(ACK, keys.length, ...keys, id, ...entries.map((e) => JSON.stringify(e)));
  }

  pendingOutboxes(): Promise<string[]> {
    return this.redis.smembers(this.key('pending'));
  }

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(this.key('claim', key), '1', 'EX', ttlSeconds, 'NX')) === 'OK';
  }

  async release(key: string): Promise<void> {
    await this.redis.del(this.key('claim', key));
  }

  async recent(limit: number): Promise<IncidentListing[]> {
    const ids = await this.redis.zrevrange(this.key('recent'), 0, limit - 1);
    const p = this.redis.pipeline();
    for (const id of ids) p.hmget(this.key(id), 'summary', 'meta', 'target', 'version', 'summaryVersion');
    const rows = (await p.exec()) ?? [];
    const listed = await Promise.all(
      ids.map(async (id, i): Promise<IncidentListing | null> => {
        const [err, row] = rows[i] ?? [];
        if (err) throw err;
        const [summary, meta, target, version, summaryVersion] = (row ?? []) as (string | null)[];
        const parsed = summary && version === summaryVersion ? parseSummary(summary) : undefined;
        if (parsed && target)
          return { id, targetName: target, meta: this.metaOf(id, meta ?? undefined), summary: parsed };
        // None, one an older writer left behind its state, or unreadable: derived from the state.
        const rec = await this.load(id);
        if (!rec) return null;
        const derived = summaryOf(rec.state);
        await this.redis.eval(KEEP_SUMMARY, 1, this.key(id), String(rec.version), JSON.stringify(derived));
        return { id, targetName: rec.targetName, meta: rec.meta, summary: derived };
      }),
    );
    return listed.filter((r): r is IncidentListing => r !== null);
  }
}

const newStamp = () => randomBytes(8).toString('hex');

function parseSummary(raw: string): RunSummary | undefined {
  try {
    const parsed = runSummarySchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
