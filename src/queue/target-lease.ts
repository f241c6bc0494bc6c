import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** One repair per target at a time, across every worker: a Redis key with an owner and an expiry. */
export class TargetLease {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly waitMs = 30_000,
  ) {}

  private key = (target: string) => `${this.prefix}:lease:${target}`;

  async acquire(target: string, owner: string, ttlMs: number): Promise<boolean> {
    const until = Date.now() + this.waitMs;
    for (;;) {
      if ((await this.redis.set(this.key(target), owner, 'PX', ttlMs, 'NX')) === 'OK') return true;
      if ((await this.redis.get(this.key(target))) === owner) return true;
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async release(target: string, owner: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key(target), owner);
  }
}
