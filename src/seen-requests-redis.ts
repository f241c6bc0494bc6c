import type { Redis } from 'ioredis';
import { MemorySeenRequests, type SeenRequests } from './bot/index.js';

/** Replays are refused across processes and restarts; with Redis down, this process's memory still refuses. */
export function seenRequests(
  redis: Pick<Redis, 'set'>,
  prefix: string,
  memory = new MemorySeenRequests(),
): SeenRequests {
  return {
    async firstTime(key, ttlMs) {
      if (!memory.firstTimeNow(key, ttlMs)) return false;
      // A Redis that takes the connection and never answers must not hold up the acknowledgement.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => {
        timer = setTimeout(() => r('late'), 250);
      });
      try {
        const set = redis.set(`${prefix}:seen:${key}`, '1', 'PX', ttlMs, 'NX');
        set.catch(() => undefined);
        const answer = await Promise.race([set, late]);
        return answer === 'late' || answer === 'OK';
      } catch {
        return true;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
