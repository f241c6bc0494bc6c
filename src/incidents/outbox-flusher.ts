import type { EngineCommand } from '../runbooks/index.js';
import type { IncidentRecord, Logger, OutboxEntry, RunStore } from './ports.js';
import { SerialLanes } from './serial-lanes.js';

// Step jobs and timers: enqueued at once, before any post.
const isQueued = (e: OutboxEntry) => e.command.type === 'execute' || e.command.type === 'schedule-expiry';

/** A write's record and the outbox its save returned: a flush after a write reads neither again. */
export interface Written {
  record: IncidentRecord;
  outbox: OutboxEntry[];
}

/** Carries out what each write left in an incident's outbox; the outbox keeps what is not yet done. */
export class OutboxFlusher {
  // Posts to Slack, one incident at a time, off the path of the events.
  private readonly notices: SerialLanes;

  constructor(
    private readonly store: RunStore,
    private readonly log: Logger,
    private readonly carryOut: (rec: IncidentRecord, c: EngineCommand) => Promise<void>,
  ) {
    this.notices = new SerialLanes();
  }

  /**
   * Carries out an incident's queued commands. Each is idempotent, so running one twice is harmless.
   * Step jobs and timers are carried out before this returns; Slack posts go afterwards, in order,
   * one incident's at a time; after a write nothing waits for them (`waitForPosts` false), so a slow
   * Slack never holds back the next step result. A failed post is logged and stays in the outbox.
   */
  async flush(id: string, written?: Written, waitForPosts = true): Promise<void> {
    const entries = written?.outbox ?? (await this.store.outbox(id));
    const queued = entries.filter(isQueued);
    try {
      if (queued.length > 0) {
        // The record just written is as fresh as a reload.
        const rec = written?.record ?? (await this.store.load(id));
        if (rec) await this.carryAll(rec, queued, true);
      }
    } finally {
      // A step job that could not be queued must not hold back the posts.
      if (entries.some((e) => !isQueued(e))) await this.post(id, waitForPosts);
    }
  }

  private async post(id: string, wait: boolean): Promise<void> {
    const posted = this.notices.request(id, () => this.flushNotices(id));
    if (wait) return posted;
    posted.catch((err: unknown) =>
      this.log.warn({ incident: id, err: String(err) }, 'some posts are left for the outbox sweep'),
    );
  }

  /** Resolves when every Slack post (and report) requested so far has been carried out or left. */
  idle(): Promise<void> {
    return this.notices.idle();
  }

  private async flushNotices(id: string): Promise<void> {
    const entries = (await this.store.outbox(id)).filter((e) => !isQueued(e));
    if (entries.length === 0) return;
    // Read afresh, not the record a write left: the posts before these may have noted their
    // messages in the meta since (the card to update, the message that says a repair runs).
    const rec = await this.store.load(id);
    if (!rec) return;
    // The notifier renders from the record, so its posts read the same whichever went first.
    await this.carryAll(rec, entries, false);
  }

  // One command failing must not hold back the others: each is acknowledged once carried out, and
  // a failed one stays in the outbox for the next flush (an event's retry, or the sweep).
  private async carryAll(rec: IncidentRecord, entries: OutboxEntry[], together: boolean): Promise<void> {
    const done: OutboxEntry[] = [];
    let failure: unknown;
    const carry = async (e: OutboxEntry) => {
      try {
        await this.carryOut(rec, e.command);
        done.push(e);
      } catch (err) {
        failure ??= err;
        this.log.error(
          { incident: rec.id, command: e.command.type, err: String(err) },
          'command not carried out',
        );
      }
    };
    if (together) await Promise.all(entries.map(carry));
    else for (const e of entries) await carry(e);
    await this.store.ack(rec.id, done);
    if (failure !== undefined) throw failure;
  }
}
