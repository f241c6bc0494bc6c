import type { AlertMetrics } from '../incidents/metrics-port.js';
import type { Logger } from '../incidents/ports.js';
import type { ReceivedAlert } from './payload.js';
import { alertNameOf } from './route.js';

// What became of each alert of a notification: logged (one line each) and counted.

export type AlertOutcome =
  | { outcome: 'started'; incident: string }
  | { outcome: 'deduplicated'; incident?: string; why: string }
  | { outcome: 'noted'; incident: string; what: string }
  /** Past the incident's alert entries (ALERT_ENTRIES_MAX): recorded in its state at most, not posted. */
  | { outcome: 'muted'; incident: string; why: string }
  | { outcome: 'unmatched'; reason: string; detail: string }
  | { outcome: 'rate-limited'; startedLastHour: number }
  | { outcome: 'no-incident'; why: string }
  | { outcome: 'failed'; error: string };

/** Logs and counts one alert's outcome. */
export function recordOutcome(a: ReceivedAlert, o: AlertOutcome, metrics: AlertMetrics, log: Logger): void {
  const matched = o.outcome !== 'unmatched' && o.outcome !== 'no-incident' && o.outcome !== 'failed';
  metrics.received(a.status, matched);
  if (
    a.status === 'firing' &&
    (o.outcome === 'deduplicated' || o.outcome === 'noted' || o.outcome === 'muted')
  )
    metrics.deduplicated();
  if (o.outcome === 'rate-limited') metrics.rateLimited();
  // Labels and annotations are not logged: only the name, the fingerprint and what became of it.
  const { outcome, ...rest } = o;
  const line = {
    alert: alertNameOf(a.labels) ?? '?',
    fingerprint: a.fingerprint,
    status: a.status,
    outcome,
  };
  const level =
    outcome === 'failed' ? 'error' : outcome === 'unmatched' || outcome === 'rate-limited' ? 'warn' : 'info';
  log[level]({ ...line, ...rest }, `alert ${outcome}`);
}
