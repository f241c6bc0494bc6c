import { describe, expect, it } from 'vitest';
import { MemorySeenRequests } from '../../src/bot/seen-requests.js';
import { seenRequests } from '../../src/seen-requests-redis.js';

// The replay check sits before every acknowledgement, so it must answer fast whatever Redis does.
const redisThat = (set: () => Promise<unknown>) => ({ set }) as never;

describe('the replay check', () => {
  it('refuses a key seen before, in memory, without asking Redis', async () => {
    let asked = 0;
    const seen = seenRequests(
      redisThat(async () => {
        asked++;
        return 'OK';
      }),
      'rbb',
    );
    expect(await seen.firstTime('sig', 60_000)).toBe(true);
    expect(await seen.firstTime('sig', 60_000)).toBe(false);
    expect(asked).toBe(1);
  });

  it('refuses a key another process (or this one before a restart) accepted: Redis says so', async () => {
    const seen = seenRequests(
      redisThat(async () => null),
      'rbb',
    );
    expect(await seen.firstTime('sig', 60_000)).toBe(false);
  });

  it('answers within a quarter second when Redis takes the connection and never replies', async () => {
    const seen = seenRequests(
      redisThat(() => new Promise(() => undefined)),
      'rbb',
    );
    const t0 = performance.now();
    expect(await seen.firstTime('sig', 60_000)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('falls back to memory when Redis fails', async () => {
    const seen = seenRequests(
      redisThat(async () => Promise.reject(new Error('ECONNREFUSED'))),
      'rbb',
    );
    expect(await seen.firstTime('sig', 60_000)).toBe(true);
    expect(await seen.firstTime('sig', 60_000)).toBe(false);
  });

  it('the memory stays bounded under a flood of distinct keys', () => {
    let now = 0;
    const m = new MemorySeenRequests(() => now, 3);
    for (const k of ['a', 'b', 'c', 'd']) expect(m.firstTimeNow(k, 1000)).toBe(true);
    // The oldest went to make room; the newest are still refused.
    expect(m.firstTimeNow('d', 1000)).toBe(false);
    expect(m.firstTimeNow('a', 1000)).toBe(true);
    now = 2000;
    expect(m.firstTimeNow('d', 1000)).toBe(true);
  });
});
