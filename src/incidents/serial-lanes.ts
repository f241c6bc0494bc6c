/**
 * One task per key at a time. A request made while that key's task waits to start is served by it
 * (the task reads its work when it starts), so a burst of requests costs at most two runs. Lets an
 * incident's Slack posts go in order without anyone waiting for them: the step path moves on.
 */
export class SerialLanes {
  private readonly lanes = new Map<string, { running: Promise<void>; next?: Promise<void> }>();
  private readonly all = new Set<Promise<void>>();

  /**
   * Settles once a run of `task` that started after this call has ended, as that run did. The
   * caller handles a rejection; the lane itself moves on to the next run either way.
   */
  request(key: string, task: () => Promise<void>): Promise<void> {
    const lane = this.lanes.get(key);
    if (lane?.next) return lane.next;
    const after = lane?.running.catch(() => {});
    const p = (after ? after.then(task) : task()).finally(() => {
      this.all.delete(p);
      const now = this.lanes.get(key);
      if (now?.running === p && !now.next) this.lanes.delete(key);
    });
    this.all.add(p);
    if (lane && after) {
      lane.next = p;
      void after.then(() => {
        const now = this.lanes.get(key);
        if (now && now.next === p) this.lanes.set(key, { running: p });
      });
    } else this.lanes.set(key, { running: p });
    return p;
  }

  /** Resolves when every task requested so far (and any they requested) has ended. */
  async idle(): Promise<void> {
    while (this.all.size > 0) await Promise.allSettled([...this.all]);
  }
}
