import type { Ignored } from './commands.js';
import type { Flow } from './engine-flow.js';
import { note } from './engine-flow.js';
import { RunbookBotError } from './errors.js';
import { humanUtc, utcIso } from './report-time.js';
import { isTerminal, pendingApproval } from './run-queries.js';
import type { AlertRun, EngineEvent, RunState, TimelineEntry } from './state.js';
import { FINGERPRINT } from './state.js';

// Alerts in an incident: the one that opened it, and the notifications that come after (the same
// alert firing again, another alert for the same runbook and target, a resolution). They are
// recorded, put on the timeline and noted in the thread; they never start, stop or run anything.

type AlertEvent = Extract<EngineEvent, { type: 'alert' }>;

/** The alert that opens an incident, as the start of a run records it. */
export interface OpeningAlert {
  fingerprint: string;
  name: string;
  startsAt?: number;
  /** When the notification was received. */
  detectedAt: number;
}

const when = (ms: number) => humanUtc(utcIso(ms));

/**
 * Alert entries (firing, resolved) an incident's timeline, and so its thread, takes at most.
 * Alertmanager may send hundreds of alerts for one runbook and target (one per key or instance), and
 * a flapping alert never stops: past this, each alert the incident knows stays current in its state
 * (the root message, the card and the report read it), a new one is not recorded, and nothing more
 * is posted. The log and the metrics have every notification.
 */
export const ALERT_ENTRIES_MAX = 20;

/** How many alert entries the timeline holds. */
export function alertEntries(s: RunState): number {
  return s.timeline.filter((t) => t.kind === 'alert-firing' || t.kind === 'alert-resolved').length;
}

/** True once the incident has taken its last alert entry: later notifications are not posted. */
export const alertEntriesFull = (s: RunState) => alertEntries(s) >= ALERT_ENTRIES_MAX;

const LAST_NOTE =
  ' Later alert notifications are not posted here: the state of each alert on the root message stays current, and the log has every one.';

/** The alert record and the timeline entries of a run an alert opens, placed before its `started`. */
export function openingAlert(a: OpeningAlert): {
  alerts: Record<string, AlertRun>;
  timeline: TimelineEntry[];
} {
  if (!FINGERPRINT.test(a.fingerprint))
    throw new RunbookBotError('ENGINE_INVARIANT', `not an alert fingerprint: ${a.fingerprint}`);
  const run: AlertRun = {
    name: a.name,
    status: 'firing',
    ...(a.startsAt === undefined ? {} : { startsAt: a.startsAt }),
    detectedAt: a.detectedAt,
    opened: true,
  };
  const timeline: TimelineEntry[] = [];
  if (a.startsAt !== undefined)
    timeline.push({ at: a.startsAt, kind: 'alert-firing', text: `Alert ${a.name} started firing` });
  timeline.push({
    at: a.detectedAt,
    kind: 'alert-received',
    text: `Alert ${a.name} received from Alertmanager: the incident opens`,
  });
  return { alerts: { [a.fingerprint]: run }, timeline };
}

/** True when a notification is of the firing the incident knows (an alert instance is its startsAt). */
export function sameInstance(known: AlertRun, startsAt: number | undefined): boolean {
  return (known.latestStartsAt ?? known.startsAt ?? 0) === (startsAt ?? 0);
}

/**
 * Records one notification. The same notification twice (Alertmanager repeats, and in HA mode
 * delivers at least once) is ignored: an alert instance is its fingerprint and its startsAt.
 */
export function onAlert(f: Flow, e: AlertEvent): Ignored | undefined {
  const alerts = f.s.alerts ?? {};
  const known = Object.hasOwn(alerts, e.fingerprint) ? alerts[e.fingerprint] : undefined;
  const same = known !== undefined && sameInstance(known, e.startsAt);
  const ended = isTerminal(f.s);
  const startsAt = e.startsAt === undefined ? {} : { startsAt: e.startsAt };
  const full = alertEntriesFull(f.s);
  // Past the limit an alert the incident does not know is not recorded: the state stays bounded.
  if (full && !known) return 'duplicate-alert';
  let text: string;
  if (e.status === 'firing') {
    // A firing of an instance already seen, resolved or not, is a repeat or a late copy.
    if (same) return 'duplicate-alert';
    // The alert that opened the incident keeps its first times (the incident's clock); another is
    // as it fires now.
    alerts[e.fingerprint] = known?.opened
      ? { ...withoutResolution(known), status: 'firing', latestStartsAt: e.startsAt ?? 0 }
      : { name: e.name, status: 'firing', ...startsAt, detectedAt: e.at };
    f.s.alerts = alerts;
    if (full) return quietly(f, false);
    const since = e.startsAt === undefined ? '' : ` (firing since ${when(e.startsAt)})`;
    text = `${known ? `Alert ${e.name} fired again` : `Alert ${e.name} fired for this incident too`}${since}`;
    text += ended
      ? ' after the incident had ended: no new diagnosis was started; look again if it persists.'
      : ': noted here, no second incident was opened.';
  } else {
    if (known?.status === 'resolved' && same) return 'duplicate-alert';
    const resolvedAt = e.endsAt ?? e.at;
    alerts[e.fingerprint] = {
      ...(known ?? { name: e.name, ...startsAt, detectedAt: e.at }),
      status: 'resolved',
      resolvedAt,
    };
    f.s.alerts = alerts;
    if (full) return quietly(f, ended);
    text = `Alert ${e.name} resolved at ${when(resolvedAt)}.`;
    const pending = pendingApproval(f.s);
    if (pending)
      text += ` The repair "${pending.title}" still waits for a decision: a person may still approve or reject it.`;
    else if (!ended) text += ' Nothing was started or stopped by this: the run goes on.';
  }
  if (alertEntries(f.s) === ALERT_ENTRIES_MAX - 1) text += LAST_NOTE;
  note(f, e.status === 'firing' ? 'alert-firing' : 'alert-resolved', text);
  const key = `alert.${e.fingerprint}.${e.startsAt ?? 0}.${e.status}`;
  f.out.push({ type: 'post-note', runId: f.s.runId, key, text });
  // The root message and a waiting card show the alert's state.
  f.out.push({ type: 'status', runId: f.s.runId, status: f.s.status });
  if (ended) f.out.push({ type: 'refile-report', runId: f.s.runId });
  return undefined;
}

/** Recorded past the limit: the root message and a waiting card are told, the thread is not. */
function quietly(f: Flow, refile: boolean): undefined {
  f.out.push({ type: 'status', runId: f.s.runId, status: f.s.status });
  // An ended incident's filed report gains the resolution (its clock reads it).
  if (refile) f.out.push({ type: 'refile-report', runId: f.s.runId });
  return undefined;
}

function withoutResolution(a: AlertRun): AlertRun {
  const { resolvedAt: _, ...rest } = a;
  return rest;
}
