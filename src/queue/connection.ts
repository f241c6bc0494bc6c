import { Redis } from 'ioredis';

export const QUEUES = { diagnosis: 'diagnosis', repair: 'repair', events: 'events' } as const;

/**
 * Connections to the bot's own Redis. Workers block and must retry forever (BullMQ requires
 * maxRetriesPerRequest: null); the producer used while answering Slack fails fast instead, so a
 * Redis outage never costs the 3-second acknowledgement.
 */
export function redisFor(url: string, role: 'worker' | 'producer'): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    connectTimeout: 2000,
    lazyConnect: false,
  });
}
