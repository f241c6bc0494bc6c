import type { IncidentMeta } from '../incidents/meta.js';
import type { ReceivedAlert } from './payload.js';
import { SAFE_NAME } from './route.js';

// What the intake takes from an alert as received: the times it can believe, and what the root
// message shows of it (bounded, the link only if it is a plain http(s) URL).

/** Clocks disagree a little; a time further ahead than this is not believed. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The alert with the times that can be believed: a startsAt in the future, or an endsAt in the
 * future or before its startsAt, would put the incident's clock out of order (a negative time to
 * detect or to resolve) and is treated as unset; the engine then uses when it was received.
 */
export function believed(a: ReceivedAlert, receivedAt: number): ReceivedAlert {
  const latest = receivedAt + CLOCK_SKEW_MS;
  const startsAt = a.startsAt !== undefined && a.startsAt <= latest ? a.startsAt : undefined;
  const endsAt =
    a.endsAt !== undefined && a.endsAt <= latest && (startsAt === undefined || a.endsAt >= startsAt)
      ? a.endsAt
      : undefined;
  return startsAt === a.startsAt && endsAt === a.endsAt ? a : { ...a, startsAt, endsAt };
}

/** A summary and a link for the root message: bounded, and the link only if it is a plain http(s) URL. */
export function alertMeta(a: ReceivedAlert, alertName: string, channel: string): IncidentMeta {
  const severity = Object.hasOwn(a.labels, 'severity') ? a.labels.severity : undefined;
  const summary = Object.hasOwn(a.annotations, 'summary') ? a.annotations.summary?.trim() : undefined;
  const url = a.generatorURL;
  return {
    channel,
    alertName,
    ...(severity !== undefined && SAFE_NAME.test(severity) ? { alertSeverity: severity } : {}),
    ...(summary ? { alertSummary: summary.length > 1000 ? `${summary.slice(0, 999)}…` : summary } : {}),
    ...(url.length <= 2000 && /^https?:\/\/[^\s<>|]+$/i.test(url) ? { alertUrl: url } : {}),
  };
}
