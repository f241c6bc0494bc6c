import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryOf } from '../../src/incidents/summary.js';
import { redisFor } from '../../src/queue/connection.js';
import { RedisRunStore } from '../../src/queue/redis-run-store.js';
import { type RunState, start } from '../../src/runbooks/index.js';
import { BotRedis } from '../support/bot-redis.js';
import { runStoreContract } from '../support/store-contract.js';
import { toyRunbook, toyTarget } from '../support/toy-runbook.js';

// The production store against a real redis-server, through the same suite as the memory store.
let redis: BotRedis;
beforeAll(async () => {
  redis = await BotRedis.start();
});
afterAll(async () => {
  await redis?.stop();
});

runStoreContract('RedisRunStore', async () => {
  const connection = redisFor(redis.url, 'worker');
  // A prefix of its own per test, as BullMQ's tests use random queue names.
  const store = new RedisRunStore(connection, `rbbc-${randomBytes(4).toString('hex')}`);
  return { store, close: async () => void connection.disconnect() };
});

describe('RedisRunStore shared by processes', () => {
  const rb = toyRunbook();
  const started = (id: string) =>
    start(rb, { runId: id, target: toyTarget, startedBy: 'U_ON', approvalTtlMs: 60_000 }, 1_000).state;

  it('each process reads the state another wrote, whatever it last held itself', async () => {
    const prefix = `rbbc-${randomBytes(4).toString('hex')}`;
    const [ca, cb] = [redisFor(redis.url, 'worker'), redisFor(redis.url, 'worker')];
    const [a, b] = [new RedisRunStore(ca, prefix), new RedisRunStore(cb, prefix)];
    try {
      const state = started('INC-0001');
      await a.create({ id: 'INC-0001', targetName: 'cache', state, meta: {} }, []);
      expect((await b.load('INC-0001'))?.version).toBe(1);
      await a.save('INC-0001', 1, { ...state, updatedAt: 2_000 }, []);
      expect((await b.load('INC-0001'))?.state.updatedAt).toBe(2_000);
      await b.save('INC-0001', 2, { ...state, updatedAt: 3_000 }, []);
      const seen = await a.load('INC-0001');
      expect([seen?.version, seen?.state.updatedAt]).toEqual([3, 3_000]);
      // A process's own copy is the state as written, and reads the same as a fresh process's parse.
      const fresh = new RedisRunStore(ca, prefix);
      expect(await fresh.load('INC-0001')).toEqual(seen);
    } finally {
      ca.disconnect();
      cb.disconnect();
    }
  });

  it('a Redis restored from an older snapshot never hands back the state a process held at the same version', async () => {
    const prefix = `rbbc-${randomBytes(4).toString('hex')}`;
    const [ca, cb] = [redisFor(redis.url, 'worker'), redisFor(redis.url, 'worker')];
    const [a, b] = [new RedisRunStore(ca, prefix), new RedisRunStore(cb, prefix)];
    try {
      const key = `${prefix}:inc:INC-0001`;
      const state = started('INC-0001');
      await a.create({ id: 'INC-0001', targetName: 'cache', state, meta: {} }, []);
      const snapshot = await ca.hgetall(key);
      await a.save('INC-0001', 1, { ...state, updatedAt: 2_000 }, []);
      // The write is lost with the crash: Redis comes back at version 1, and b writes a version 2 of its own.
      await ca.del(key);
      await ca.hset(key, snapshot);
      await b.load('INC-0001');
      await b.save('INC-0001', 1, { ...state, updatedAt: 3_000 }, []);
      const seen = await a.load('INC-0001');
      expect([seen?.version, seen?.state.updatedAt]).toEqual([2, 3_000]);
    } finally {
      ca.disconnect();
      cb.disconnect();
    }
  });

  it('a writer that stamps nothing (a process still on the version before stamps) is never hidden by a held state', async () => {
    const prefix = `rbbc-${randomBytes(4).toString('hex')}`;
    const c = redisFor(redis.url, 'worker');
    try {
      const store = new RedisRunStore(c, prefix);
      const key = `${prefix}:inc:INC-0001`;
      const state = started('INC-0001');
      await store.create({ id: 'INC-0001', targetName: 'cache', state, meta: {} }, []);
      expect((await store.load('INC-0001'))?.state.status).toBe('diagnosing');
      // What the store before stamps and summaries wrote: the state and the version, nothing else.
      const cancelled: RunState = { ...state, status: 'cancelled', endedAt: 4_000, updatedAt: 4_000 };
      await c.hset(key, { state: JSON.stringify(cancelled), version: 2 });
      const seen = await store.load('INC-0001');
      expect([seen?.version, seen?.state.status]).toEqual([2, 'cancelled']);
      expect((await store.recent(5)).map((l) => l.summary.status)).toEqual(['cancelled']);
      // The summary derived on read is kept for the next listing, at the version it was derived from.
      expect(await c.hmget(key, 'summaryVersion')).toEqual(['2']);
      expect(await store.save('INC-0001', 1, state, [])).toBeNull();
    } finally {
      c.disconnect();
    }
  });

  it('lists an incident written before summaries were, from its whole state', async () => {
    const prefix = `rbbc-${randomBytes(4).toString('hex')}`;
    const c = redisFor(redis.url, 'worker');
    try {
      const state = started('INC-0001');
      // What an earlier version of the store wrote: no summary field.
      await c.hset(`${prefix}:inc:INC-0001`, {
        state: JSON.stringify(state),
        meta: JSON.stringify({ channel: 'C1' }),
        target: 'cache',
        version: 1,
      });
      await c.zadd(`${prefix}:inc:recent`, 1_000, 'INC-0001');
      expect(await new RedisRunStore(c, prefix).recent(5)).toEqual([
        { id: 'INC-0001', targetName: 'cache', meta: { channel: 'C1' }, summary: summaryOf(state) },
      ]);
    } finally {
      c.disconnect();
    }
  });
});
