import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { redisFor } from '../../src/queue/connection.js';
import { RedisRunStore } from '../../src/queue/redis-run-store.js';
import { BotRedis } from '../support/bot-redis.js';
import { runStoreContract } from '../support/store-contract.js';

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
