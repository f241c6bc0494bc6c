export type StopReason = 'timeout' | 'abort';

/**
 * One action's time budget: fires on its timeout or on the caller's AbortSignal, whichever comes
 * first, and says which. `signal` can be handed to client libraries to cancel their requests.
 */
export class Deadline {
  readonly signal: AbortSignal;
  /** Resolves when the deadline fires; never rejects. */
  readonly stopped: Promise<StopReason>;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private why: StopReason | undefined;
  private readonly onOuterAbort = () => this.fire('abort');
  private resolveStopped: (r: StopReason) => void = () => {};
  private readonly startedAt = Date.now();

  constructor(
    readonly timeoutMs: number,
    private readonly outer?: AbortSignal,
  ) {
    this.signal = this.controller.signal;
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
    this.timer = setTimeout(() => this.fire('timeout'), timeoutMs);
    if (outer?.aborted) this.fire('abort');
    else outer?.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  /** What is left of the budget (for a command that starts after waiting its turn). */
  remainingMs(): number {
    return Math.max(0, this.timeoutMs - (Date.now() - this.startedAt));
  }

  get reason(): StopReason | undefined {
    return this.why;
  }

  private fire(why: StopReason): void {
    if (this.why) return;
    this.why = why;
    clearTimeout(this.timer);
    this.controller.abort(new Error(why === 'timeout' ? 'timed out' : 'aborted'));
    this.resolveStopped(why);
  }

  /** Waits for `work`, or returns the stop reason if the deadline fires first. */
  async race<T>(work: Promise<T>): Promise<{ done: true; value: T } | { done: false; reason: StopReason }> {
    // A late rejection of `work` after the deadline fired must not become an unhandled rejection.
    work.catch(() => {});
    return Promise.race([
      work.then((value) => ({ done: true as const, value })),
      this.stopped.then((reason) => ({ done: false as const, reason })),
    ]);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }
}

/** The fields of a result for an action stopped by its deadline. */
export function stoppedParts(reason: StopReason, timeoutMs: number, note?: string) {
  const base = reason === 'timeout' ? `timed out after ${timeoutMs} ms` : 'aborted';
  return { exitCode: null, timedOut: reason === 'timeout', error: note ? `${base}; ${note}` : base };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
