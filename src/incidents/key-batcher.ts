/**
 * Work for one key is done one batch at a time, in arrival order; whatever arrives while a batch
 * runs goes into the next one. For an incident this turns eight step results arriving together into
 * one or two writes, instead of eight writers racing on one compare-and-set and re-reading the state
 * after every loss.
 */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

export class KeyBatcher<I, O> {
  private readonly queues = new Map<string, { item: I; settle: Settle<O> }[]>();

  constructor(
    private readonly runBatch: (key: string, items: I[]) => Promise<Settled<O>[]>,
    private readonly maxBatch = 64,
  ) {}

  submit(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const queue = this.queues.get(key);
      const entry = { item, settle: { resolve, reject } };
      if (queue) return void queue.push(entry);
      this.queues.set(key, [entry]);
      void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    for (;;) {
      const queue = this.queues.get(key);
      if (!queue || queue.length === 0) {
        this.queues.delete(key);
        return;
      }
      const batch = queue.splice(0, this.maxBatch);
      try {
        const out = await this.runBatch(
          key,
          batch.map((b) => b.item),
        );
        for (const [i, b] of batch.entries()) {
          const r = out[i];
          if (r?.ok) b.settle.resolve(r.value);
          else b.settle.reject(r ? r.error : new Error('no outcome for this item'));
        }
      } catch (e) {
        for (const b of batch) b.settle.reject(e);
      }
    }
  }
}

interface Settle<O> {
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}
