import type { Redis } from 'ioredis';
import type { AlertLedger, LedgerKey, LedgerOpen } from '../incidents/ports.js';

// The alert ledger on the bot's Redis: every decision is one Lua script, so deliveries of the same
// notification to several bot processes at once (Alertmanager in HA mode) see one winner.
//
//   <prefix>:alert:fp:<fingerprint>           → incident id, or "pending:<token>" while it is opened
//   <prefix>:alert:pair:<runbook>:<target>    → the same, for the pair's one open incident
//   <prefix>:alert:starts:<target>            → sorted set of the claims of the last hour (score: ms)

const PENDING = 'pending:';

const OPEN = `
local f = redis.call('GET', KEYS[1])
if f then
  if string.sub(f, 1, 8) == 'pending:' then return {'busy', 'fingerprint'} end
  return {'known', f}
end
local p = redis.call('GET', KEYS[2])
if p then
  if string.sub(p, 1, 8) == 'pending:' then return {'busy', 'pair'} end
  return {'joined', p}
end
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 3600000)
local n = redis.call('ZCARD', KEYS[3])
if n >= tonumber(ARGV[3]) then return {'rate-limited', tostring(n)} end
local v = 'pending:' .. ARGV[1]
redis.call('SET', KEYS[1], v, 'PX', ARGV[4])
redis.call('SET', KEYS[2], v, 'PX', ARGV[4])
redis.call('ZADD', KEYS[3], now, ARGV[1])
redis.call('PEXPIRE', KEYS[3], 3600000)
return {'claimed', ''}`;

// A claim that lapsed and was taken by nobody is bound all the same: the incident exists.
const BIND = `
local v = 'pending:' .. ARGV[1]
local ok = 0
local f = redis.call('GET', KEYS[1])
if f == v or not f then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]); ok = 1 end
local p = redis.call('GET', KEYS[2])
if p == v or not p then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end
return ok`;

const UNCLAIM = `
local v = 'pending:' .. ARGV[1]
if redis.call('GET', KEYS[1]) == v then redis.call('DEL', KEYS[1]) end
if redis.call('GET', KEYS[2]) == v then redis.call('DEL', KEYS[2]) end
redis.call('ZREM', KEYS[3], ARGV[1])
return 1`;

const FORGET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

// KEYS: the first ARGV[3] are set unless being opened; the rest only where they name ARGV[4].
const ADOPT = `
local claim = tonumber(ARGV[3])
for i, k in ipairs(KEYS) do
  local v = redis.call('GET', k)
  local opening = v and string.sub(v, 1, 8) == 'pending:'
  if i <= claim then
    if not opening then redis.call('SET', k, ARGV[1], 'PX', ARGV[2]) end
  elseif v == ARGV[4] then
    redis.call('SET', k, ARGV[1], 'PX', ARGV[2])
  end
end
return 1`;

export interface RedisAlertLedgerOptions {
  /** How long a claim holds while its incident is being started (ms); default 5 min. */
  claimTtlMs?: number;
  /** How long a fingerprint or a pair names its incident (ms); default 7 days. */
  bindTtlMs?: number;
}

export class RedisAlertLedger implements AlertLedger {
  private readonly claimTtlMs: number;
  private readonly bindTtlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    o: RedisAlertLedgerOptions = {},
  ) {
    this.claimTtlMs = o.claimTtlMs ?? 5 * 60_000;
    this.bindTtlMs = o.bindTtlMs ?? 7 * 86_400_000;
  }

  private fp = (fingerprint: string) => `${this.prefix}:alert:fp:${fingerprint}`;
  private pair = (k: { runbookId: string; targetName: string }) =>
    `${this.prefix}:alert:pair:${k.runbookId}:${k.targetName}`;
  private starts = (targetName: string) => `${this.prefix}:alert:starts:${targetName}`;
  private keys = (k: LedgerKey) => [this.fp(k.fingerprint), this.pair(k), this.starts(k.targetName)];

  async open(req: LedgerKey & { token: string; now: number; perHour: number }): Promise<LedgerOpen> {
    const args = [req.token, String(req.now), String(req.perHour), String(this.claimTtlMs)];
    const [kind, value] = (await this.redis.eval(OPEN, 3, ...this.keys(req), ...args)) as [string, string];
    switch (kind) {
      case 'claimed':
        return { kind };
      case 'busy':
        return { kind, by: value === 'pair' ? 'pair' : 'fingerprint' };
      case 'rate-limited':
        return { kind, startedLastHour: Number(value) };
      case 'known':
      case 'joined':
        return { kind, incidentId: value };
      default:
        throw new Error(`alert ledger: unexpected answer ${kind}`);
    }
  }

  async bind(req: LedgerKey & { token: string; incidentId: string }): Promise<boolean> {
    const keys = this.keys(req).slice(0, 2);
    const args = [req.token, req.incidentId, String(this.bindTtlMs)];
    return (await this.redis.eval(BIND, 2, ...keys, ...args)) === 1;
  }

  async unclaim(req: LedgerKey & { token: string }): Promise<void> {
    await this.redis.eval(UNCLAIM, 3, ...this.keys(req), req.token);
  }

  async link(fingerprint: string, incidentId: string): Promise<boolean> {
    return (await this.redis.set(this.fp(fingerprint), incidentId, 'PX', this.bindTtlMs, 'NX')) === 'OK';
  }

  async incidentOf(fingerprint: string) {
    const v = await this.redis.get(this.fp(fingerprint));
    if (v === null) return { kind: 'none' as const };
    return v.startsWith(PENDING) ? { kind: 'busy' as const } : { kind: 'incident' as const, id: v };
  }

  async adopt(req: Parameters<AlertLedger['adopt']>[0]): Promise<void> {
    const claim = req.pairs.map(this.pair);
    const move = req.moveFrom
      ? [...req.moveFrom.fingerprints.map(this.fp), ...req.moveFrom.pairs.map(this.pair)]
      : [];
    const keys = [...claim, ...move];
    if (keys.length === 0) return;
    const args = [
      req.incidentId,
      String(this.bindTtlMs),
      String(claim.length),
      req.moveFrom?.incidentId ?? '',
    ];
    await this.redis.eval(ADOPT, keys.length, ...keys, ...args);
  }

  async forget(key: { fingerprint: string } | { runbookId: string; targetName: string }, incidentId: string) {
    const k = 'fingerprint' in key ? this.fp(key.fingerprint) : this.pair(key);
    await this.redis.eval(FORGET, 1, k, incidentId);
  }
}
