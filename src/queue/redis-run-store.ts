import type { Redis } from 'ioredis';
import { type IncidentMeta, parseMeta } from '../incidents/meta.js';
import { outboxEntrySchema, parsePayload } from '../incidents/payloads.js';
import type { IncidentRecord, OutboxEntry, RunStore } from '../incidents/ports.js';
import type { EngineCommand, RunState } from '../runbooks/index.js';
import { RunbookBotError, runStateSchema } from '../runbooks/index.js';

// Compare-and-set of the state together with the commands it produced, in one step: either both
// land or neither does.
const SAVE = `
local v = redis.call('HGET', KEYS[1], 'version')
if not v or tonumber(v) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'version', tonumber(v) + 1)
if #ARGV > 3 then
  for i = 4, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
  redis.call('SADD', KEYS[3], ARGV[3])
end
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

/** Incident state on the bot's own Redis (which should run with AOF): one hash per incident. */
export class RedisRunStore implements RunStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key = (...parts: string[]) => [this.prefix, 'inc', ...parts].join(':');

  private entries(version: number, commands: readonly EngineCommand[]): string[] {
    return commands.map((command, i) =>
      JSON.stringify({ seq: `${version}.${i}`, command } satisfies OutboxEntry),
    );
  }

  async nextId(): Promise<string> {
    const n = await this.redis.incr(this.key('seq'));
    return `INC-${String(n).padStart(4, '0')}`;
  }

  async create(record: Omit<IncidentRecord, 'version'>, commands: readonly EngineCommand[]): Promise<void> {
    const m = this.redis.multi();
    m.hset(this.key(record.id), {
      state: JSON.stringify(record.state),
      meta: JSON.stringify(record.meta),
      target: record.targetName,
      version: 1,
    });
    const entries = this.entries(1, commands);
    if (entries.length) {
      m.rpush(this.key(record.id, 'outbox'), ...entries);
      m.sadd(this.key('pending'), record.id);
    }
    m.zadd(this.key('recent'), record.state.startedAt, record.id);
    // Nil only if a WATCH on this connection fired: then nothing was written and the start must say so.
    if ((await m.exec()) === null)
      throw new RunbookBotError('STORE_CONFLICT', `incident ${record.id} was not written`);
  }

  async load(id: string): Promise<IncidentRecord | null> {
    const h = await this.redis.hgetall(this.key(id));
    if (!h.state || !h.version) return null;
    const parsed = runStateSchema.safeParse(JSON.parse(h.state));
    if (!parsed.success)
      throw new RunbookBotError('STATE_INVALID', `incident ${id}: ${parsed.error.message}`);
    return {
      id,
      targetName: h.target ?? parsed.data.target.name,
      state: parsed.data,
      meta: this.metaOf(id, h.meta),
      version: Number(h.version),
    };
  }

  async save(
    id: string,
    expected: number,
    state: RunState,
    commands: readonly EngineCommand[],
  ): Promise<boolean> {
    const keys = [this.key(id), this.key(id, 'outbox'), this.key('pending')];
    const args = [String(expected), JSON.stringify(state), id, ...this.entries(expected + 1, commands)];
    return (await this.redis.eval(SAVE, keys.length, ...keys, ...args)) === 1;
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
    return raw.map((r) => {
      const p = parsePayload(outboxEntrySchema, JSON.parse(r));
      if (!p.ok) throw new RunbookBotError('STATE_INVALID', `incident ${id}: an outbox entry ${p.error}`);
      return p.value;
    });
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

  async recent(limit: number): Promise<IncidentRecord[]> {
    const ids = await this.redis.zrevrange(this.key('recent'), 0, limit - 1);
    const records = await Promise.all(ids.map((id) => this.load(id)));
    return records.filter((r): r is IncidentRecord => r !== null);
  }
}
