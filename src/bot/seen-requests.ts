// A signed request is good for Slack's whole window, so one captured on the way can be sent again and
// would open a second incident. Each verified signature is remembered for as long as it could verify.

/** True the first time a key is offered within its time to live; false for a replay. */
export interface SeenRequests {
  firstTime(key: string, ttlMs: number): Promise<boolean>;
}

/** One process's memory; bounded, so a flood of distinct requests cannot grow it without end. */
export class MemorySeenRequests implements SeenRequests {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly max = 100_000,
  ) {}

  async firstTime(key: string, ttlMs: number): Promise<boolean> {
    return this.firstTimeNow(key, ttlMs);
  }

  firstTimeNow(key: string, ttlMs: number): boolean {
    const now = this.now();
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.seen.size >= this.max) this.forgetExpired(now);
    // Still full of live keys: the oldest goes (Map keeps insertion order).
    if (this.seen.size >= this.max) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, now + ttlMs);
    return true;
  }

  private forgetExpired(now: number): void {
    for (const [k, until] of this.seen) if (until <= now) this.seen.delete(k);
  }
}
