import type { Logger } from '../incidents/ports.js';
import { type AlertmanagerPayload, parseAlertmanager } from './payload.js';

// Alertmanager is answered before the work is done, and does not send a notification it was
// answered 200 for again until its repeat_interval (4 h by default): a process killed in between
// would lose it. So the body is kept in the bot's Redis before the answer and dropped once every
// alert of it is settled; any process sweeps up what one that died left behind, or what met a claim
// it could not wait out (a process killed between claiming an alert and starting its incident).

/** Where acknowledged notifications wait until they are settled (the bot's Redis). */
export interface AlertInbox {
  /** Keeps a body before it is acknowledged; returns its id. */
  keep(body: string, receivedAt: number): Promise<string>;
  /** Drops a settled one. */
  done(id: string): Promise<void>;
  /** Ids kept before `before`, oldest first, at most `limit`. */
  due(before: number, limit: number): Promise<string[]>;
  /** Gives the lease back: the next sweep may try it again. */
  release(id: string): Promise<void>;
  /** The kept body under a lease (one process works on it at a time): `held` if another has it. */
  take(id: string, leaseMs: number): Promise<{ body: string; receivedAt: number } | 'held' | 'gone'>;
}

/** Why a delivery that met another's claim on its alert did nothing: it is tried again later. */
export const BEING_OPENED = 'its incident is being opened';

/** True when no alert needs another try: none failed, none met a claim still being opened. */
export function settled(outcomes: readonly { outcome: string; why?: string }[]): boolean {
  return outcomes.every(
    (o) => o.outcome !== 'failed' && !(o.outcome === 'deduplicated' && o.why === BEING_OPENED),
  );
}

/** Left alone this long, a kept notification is taken to be left behind. */
export const SWEEP_AFTER_MS = 60_000;
/** Not settled within this, it is given up (logged): its alert has gone stale. */
export const GIVE_UP_MS = 3_600_000;
const LEASE_MS = 120_000;
const PER_SWEEP = 20;

export interface SweepDeps {
  inbox: AlertInbox;
  intake: {
    receive(
      p: AlertmanagerPayload,
      receivedAt: number,
    ): Promise<readonly { outcome: string; why?: string }[]>;
  };
  now: () => number;
  log: Logger;
}

/** Works again on the notifications left behind; returns how many it worked on. */
export async function sweepInbox(d: SweepDeps): Promise<number> {
  const now = d.now();
  let worked = 0;
  for (const id of await d.inbox.due(now - SWEEP_AFTER_MS, PER_SWEEP)) {
    const kept = await d.inbox.take(id, LEASE_MS);
    if (kept === 'held') continue;
    if (kept === 'gone') {
      await d.inbox.done(id);
      continue;
    }
    const parsed = parseAlertmanager(kept.body);
    if (!parsed.ok || now - kept.receivedAt > GIVE_UP_MS) {
      d.log.error(
        { inbox: id, receivedAt: kept.receivedAt },
        'alert notification given up: not settled within an hour',
      );
      await d.inbox.done(id);
      continue;
    }
    d.log.warn(
      { inbox: id, alerts: parsed.payload.alerts.length, receivedAt: kept.receivedAt },
      'alert notification left behind: worked on again',
    );
    worked += 1;
    if (settled(await d.intake.receive(parsed.payload, kept.receivedAt))) await d.inbox.done(id);
    else await d.inbox.release(id);
  }
  return worked;
}
