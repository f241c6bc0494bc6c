import type { AlertMetrics } from '../incidents/metrics-port.js';
import type { Orchestrator } from '../incidents/orchestrator.js';
import type { AlertLedger, IncidentRecord, LedgerKey, Logger } from '../incidents/ports.js';
import type { IncidentListing } from '../incidents/summary.js';
import { alertEntriesFull, sameInstance } from '../runbooks/engine-alert.js';
import { ALERT_STARTER, isTerminal } from '../runbooks/index.js';
import { type AlertInbox, BEING_OPENED, settled, sweepInbox } from './inbox.js';
import { type AlertOutcome, recordOutcome } from './outcome.js';
import type { AlertmanagerPayload, ReceivedAlert } from './payload.js';
import { alertMeta, believed } from './received.js';
import { alertNameOf, type RoutingTable, routeAlert, unsafeLabels } from './route.js';

// The work behind POST /alerts/alertmanager, done after the request has been acknowledged: each
// alert is routed, checked against the ledger, and then starts an incident, joins one, is noted in
// one, or is dropped, and every one of those is logged and counted. Nothing here fails a request.

export interface AlertIntakeDeps {
  orchestrator: Pick<Orchestrator, 'start' | 'apply' | 'load'>;
  ledger: AlertLedger;
  routing: RoutingTable;
  /** The Slack channel incidents from alerts open in (ALERT_CHANNEL). */
  channel: string;
  /** Incidents alerts may start per target in any hour (ALERT_RATE_PER_HOUR). */
  perHour: number;
  /** After an incident ended, its alert firing again is noted in it for this long (ALERT_REOPEN_WINDOW). */
  reopenWindowMs: number;
  now: () => number;
  /** A fresh claim token, unique across processes. */
  token: () => string;
  metrics: AlertMetrics;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** How long, in all, to wait for another delivery that is opening the incident an alert joins (ms). */
  busyWaitMs?: number;
  /**
   * The latest incidents, newest first: before an alert opens one, an open incident of its runbook
   * and target that the ledger does not name is looked for there (a process killed between starting
   * it and binding its claim, an adoption that failed, a pair whose key expired), and joined.
   */
  recent?: (limit: number) => Promise<IncidentListing[]>;
  /** Where acknowledged notifications are kept until settled (see inbox.ts). */
  inbox?: AlertInbox;
}

export type { AlertOutcome } from './outcome.js';

const BUSY_STEP_MS = 250;
const FINGERPRINT_WAIT_MS = 5_000;
const MAX_ROUNDS = 10;
/** How many of the latest incidents are searched for one the ledger lost. */
const ORPHAN_SCAN = 50;

export class AlertIntake {
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly d: AlertIntakeDeps) {
    this.sleep = d.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Takes an acknowledged payload and works on it in the background; never throws. `kept`: its id in
   * the inbox, dropped once it is settled (else a sweep works on it again).
   */
  accept(payload: AlertmanagerPayload, receivedAt: number, kept?: string): void {
    const work: Promise<unknown> = this.receive(payload, receivedAt)
      .then(async (out) => {
        if (kept !== undefined && this.d.inbox && settled(out)) await this.d.inbox.done(kept);
      })
      .catch((e: unknown) => this.d.log.error({ err: String(e) }, 'alert intake failed'))
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  /** Works again on what the inbox holds that was left behind (by any process); never throws. */
  async sweep(): Promise<number> {
    const { inbox } = this.d;
    if (!inbox) return 0;
    return sweepInbox({ inbox, intake: this, now: this.d.now, log: this.d.log }).catch((e: unknown) => {
      this.d.log.warn({ err: String(e) }, 'alert inbox sweep failed');
      return 0;
    });
  }

  /** Resolves once every accepted payload has been worked on (tests, and a graceful stop). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Works on every alert of a payload, one after another; each outcome is logged and counted. */
  async receive(payload: AlertmanagerPayload, receivedAt: number): Promise<AlertOutcome[]> {
    const out: AlertOutcome[] = [];
    for (const received of payload.alerts) {
      const a = believed(received, receivedAt);
      let o: AlertOutcome;
      try {
        o = a.status === 'firing' ? await this.firing(a, receivedAt) : await this.resolved(a, receivedAt);
      } catch (e) {
        o = { outcome: 'failed', error: e instanceof Error ? e.message : String(e) };
      }
      recordOutcome(a, o, this.d.metrics, this.d.log);
      out.push(o);
    }
    return out;
  }

  private async firing(a: ReceivedAlert, receivedAt: number): Promise<AlertOutcome> {
    const route = routeAlert(a.labels, this.d.routing);
    if (!route.ok) return { outcome: 'unmatched', reason: route.reason, detail: route.detail };
    const key: LedgerKey = {
      fingerprint: a.fingerprint,
      runbookId: route.runbookId,
      targetName: route.targetName,
    };
    const { ledger } = this.d;
    let waited = 0;
    for (let round = 0; round < MAX_ROUNDS; ) {
      const token = this.d.token();
      const r = await ledger.open({ ...key, token, now: this.d.now(), perHour: this.d.perHour });
      if (r.kind === 'claimed') {
        const orphan = await this.orphanOf(key);
        if (!orphan) return this.start(a, route.alertName, key, token, receivedAt);
        // The claim names it instead: later deliveries find it known, and nothing opens twice.
        await ledger.bind({ ...key, token, incidentId: orphan.id });
        this.d.log.warn(
          { incident: orphan.id, fingerprint: a.fingerprint },
          'alert ledger did not name an open incident of its runbook and target: it is joined',
        );
        return this.note(orphan, a, route.alertName, receivedAt);
      }
      if (r.kind === 'rate-limited') return { outcome: 'rate-limited', startedLastHour: r.startedLastHour };
      if (r.kind === 'busy') {
        // Another delivery of this alert is opening its incident: wait a little for it to be
        // bound (then this is a repeat, settled); a claim that stays is left to the inbox's sweep.
        const own = r.by === 'fingerprint';
        const patience = this.d.busyWaitMs ?? 30_000;
        if (waited >= (own ? Math.min(FINGERPRINT_WAIT_MS, patience) : patience))
          return own
            ? { outcome: 'deduplicated', why: BEING_OPENED }
            : {
                outcome: 'failed',
                error: 'gave up waiting for the incident of its runbook and target to open',
              };
        await this.sleep(BUSY_STEP_MS);
        waited += BUSY_STEP_MS;
        continue;
      }
      round += 1;
      const rec = await this.d.orchestrator.load(r.incidentId);
      if (r.kind === 'known') {
        if (rec && (!isTerminal(rec.state) || this.reopens(rec) || this.knowsFiring(rec, a)))
          return this.note(rec, a, route.alertName, receivedAt);
        // Its incident ended long ago (or is gone) and this is a new firing: it may open another.
        await ledger.forget({ fingerprint: a.fingerprint }, r.incidentId);
        continue;
      }
      if (!rec || isTerminal(rec.state)) {
        await ledger.forget({ runbookId: key.runbookId, targetName: key.targetName }, r.incidentId);
        continue;
      }
      // Linked by someone else meanwhile: the next round finds it known.
      if (await ledger.link(a.fingerprint, rec.id)) return this.note(rec, a, route.alertName, receivedAt);
    }
    return { outcome: 'failed', error: 'the alert ledger kept changing under this alert' };
  }

  /** An open incident of the pair the ledger does not name; a failed look is no reason not to open one. */
  private async orphanOf(key: LedgerKey): Promise<IncidentRecord | undefined> {
    if (!this.d.recent) return undefined;
    try {
      const all = await this.d.recent(ORPHAN_SCAN);
      const found = all.find(
        (r) =>
          !isTerminal(r.summary) && r.summary.runbookId === key.runbookId && r.targetName === key.targetName,
      );
      const rec = found && (await this.d.orchestrator.load(found.id));
      return rec && !isTerminal(rec.state) ? rec : undefined;
    } catch (e) {
      this.d.log.warn({ err: String(e) }, 'could not look for an incident the alert ledger lost');
      return undefined;
    }
  }

  /** Ended within the reopen window: a new firing is a note in it, not a new diagnosis. */
  private reopens(rec: IncidentRecord): boolean {
    const ended = rec.state.endedAt;
    return ended !== undefined && this.d.now() - ended <= this.d.reopenWindowMs;
  }

  /** The firing the incident already knows (Alertmanager repeating a still-firing alert): never a second incident. */
  private knowsFiring(rec: IncidentRecord, a: ReceivedAlert): boolean {
    const alerts = rec.state.alerts ?? {};
    const known = Object.hasOwn(alerts, a.fingerprint) ? alerts[a.fingerprint] : undefined;
    return known !== undefined && sameInstance(known, a.startsAt);
  }

  private async start(
    a: ReceivedAlert,
    alertName: string,
    key: LedgerKey,
    token: string,
    receivedAt: number,
  ): Promise<AlertOutcome> {
    let started: Awaited<ReturnType<AlertIntakeDeps['orchestrator']['start']>>;
    try {
      started = await this.d.orchestrator.start({
        runbookId: key.runbookId,
        targetName: key.targetName,
        startedBy: `${ALERT_STARTER}${alertName}`,
        meta: alertMeta(a, alertName, this.d.channel),
        source: 'alert',
        alert: {
          fingerprint: a.fingerprint,
          name: alertName,
          ...(a.startsAt === undefined ? {} : { startsAt: a.startsAt }),
          detectedAt: receivedAt,
        },
      });
    } catch (e) {
      await this.d.ledger.unclaim({ ...key, token }).catch(() => undefined);
      throw e;
    }
    if (!started.ok) {
      await this.d.ledger.unclaim({ ...key, token });
      return { outcome: 'unmatched', reason: started.refusal.code, detail: started.refusal.message };
    }
    if (!(await this.d.ledger.bind({ ...key, token, incidentId: started.id })))
      this.d.log.warn(
        { incident: started.id, fingerprint: a.fingerprint },
        'alert claim lapsed before it was bound',
      );
    return { outcome: 'started', incident: started.id };
  }

  private async resolved(a: ReceivedAlert, receivedAt: number): Promise<AlertOutcome> {
    const unsafe = unsafeLabels(a.labels);
    if (unsafe) return { outcome: 'unmatched', reason: 'unsafe-label', detail: unsafe };
    const name = alertNameOf(a.labels);
    if (name === undefined)
      return { outcome: 'unmatched', reason: 'no-alertname', detail: 'no usable alertname' };
    for (let waited = 0; ; waited += BUSY_STEP_MS) {
      const r = await this.d.ledger.incidentOf(a.fingerprint);
      if (r.kind === 'none') return { outcome: 'no-incident', why: 'no incident was opened for this alert' };
      if (r.kind === 'incident') {
        const rec = await this.d.orchestrator.load(r.id);
        return rec ? this.note(rec, a, name, receivedAt) : { outcome: 'no-incident', why: `${r.id} is gone` };
      }
      if (waited >= (this.d.busyWaitMs ?? 30_000))
        return { outcome: 'failed', error: 'gave up waiting for its incident to open' };
      await this.sleep(BUSY_STEP_MS);
    }
  }

  /** The notification as an engine event of its incident: recorded, noted in the thread, or a repeat. */
  private async note(
    rec: IncidentRecord,
    a: ReceivedAlert,
    name: string,
    receivedAt: number,
  ): Promise<AlertOutcome> {
    const full = alertEntriesFull(rec.state);
    const knows = Object.hasOwn(rec.state.alerts ?? {}, a.fingerprint);
    // Nothing to record: the incident takes no new alert past its last note (the engine agrees).
    if (full && !knows)
      return { outcome: 'muted', incident: rec.id, why: 'the incident has taken its last alert note' };
    const r = await this.d.orchestrator.apply(rec.id, {
      type: 'alert',
      status: a.status,
      fingerprint: a.fingerprint,
      name,
      at: receivedAt,
      ...(a.startsAt === undefined ? {} : { startsAt: a.startsAt }),
      ...(a.status === 'resolved' && a.endsAt !== undefined ? { endsAt: a.endsAt } : {}),
    });
    if (!r) return { outcome: 'no-incident', why: `${rec.id} is gone` };
    if (r.ignored)
      return { outcome: 'deduplicated', incident: rec.id, why: 'a repeat of a notification it has' };
    if (full) return { outcome: 'muted', incident: rec.id, why: 'its state is recorded, not posted' };
    const what =
      a.status === 'resolved'
        ? 'resolved'
        : isTerminal(rec.state)
          ? 'fired again after its incident ended'
          : rec.state.alerts?.[a.fingerprint]
            ? 'fired again'
            : 'another alert for the same runbook and target';
    return { outcome: 'noted', incident: rec.id, what };
  }
}
