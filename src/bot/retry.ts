import type { Logger } from '../incidents/ports.js';

// A dependency that is down at start (Redis, Slack) is waited for, not crashed on: one log line per
// failed attempt, with the reason and the next delay, and never a stack trace.

export interface RetryOptions {
  what: string;
  log: Logger;
  /** Checked before each attempt: a process shutting down stops retrying. */
  stopped: () => boolean;
  describe?: (e: unknown) => string;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/** Resolves true once `attempt` succeeds, false if stopped first. */
export async function retryForever(attempt: () => Promise<unknown>, o: RetryOptions): Promise<boolean> {
  const describe = o.describe ?? ((e: unknown) => (e instanceof Error ? e.message : String(e)));
  let delay = o.firstDelayMs ?? 500;
  for (let n = 1; !o.stopped(); n++) {
    try {
      await attempt();
      if (n > 1) o.log.info({ attempts: n }, `${o.what}: reached`);
      return true;
    } catch (e) {
      o.log.warn({ attempt: n, retryInMs: delay, err: describe(e) }, `${o.what}: not reachable yet`);
    }
    await new Promise((r) => setTimeout(r, delay).unref());
    delay = Math.min(delay * 2, o.maxDelayMs ?? 10_000);
  }
  return false;
}
