import type { Redis } from 'ioredis';

// The alert inbox on the bot's Redis (src/alerts/inbox.ts's AlertInbox; the queue layer does not
// import the alerts layer, so it is matched by shape where the root wires it):
//
//   <prefix>:alert:inbox              → sorted set of kept ids (score: received, ms)
//   <prefix>:alert:inbox:<id>         → hash { body, receivedAt }, kept two hours at most
//   <prefix>:alert:inbox-lease:<id>   → the process working on it again, for a while

const KEEP_MS = 2 * 3_600_000;

export class RedisAlertInbox {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly newId: () => string,
  ) {}

  private index = () => `${this.prefix}:alert:inbox`;
  private entry = (id: string) => `${this.prefix}:alert:inbox:${id}`;
  private lease = (id: string) => `${this.prefix}:alert:inbox-lease:${id}`;

  async keep(body: string, receivedAt: number): Promise<string> {
    const id = this.newId();
    await this.redis
      .multi()
      .hset(this.entry(id), 'body', body, 'receivedAt', String(receivedAt))
      .pexpire(this.entry(id), KEEP_MS)
      .zadd(this.index(), receivedAt, id)
      .exec();
    return id;
  }

  async done(id: string): Promise<void> {
    await this.redis.multi().del(this.entry(id), this.lease(id)).zrem(this.index(), id).exec();
  }

  async release(id: string): Promise<void> {
    await this.redis.del(this.lease(id));
  }

  async due(before: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.index(), '-inf', before, 'LIMIT', 0, limit);
  }

  async take(id: string, leaseMs: number) {
    if ((await this.redis.set(this.lease(id), '1', 'PX', leaseMs, 'NX')) !== 'OK') return 'held' as const;
    const h = await this.redis.hgetall(this.entry(id));
    if (h.body === undefined || h.receivedAt === undefined) return 'gone' as const;
    return { body: h.body, receivedAt: Number(h.receivedAt) };
  }
}
