import type { IncidentMeta } from './meta.js';
import type { AlertLedger, IncidentRecord, Logger } from './ports.js';

// How incidents the alert path did not open stay tied to alerts: one a person started is named in
// the ledger so that an alert for its runbook and target joins it, and a handover's incident takes
// over the alerts, the keys and the root message's alert of the incident it continues.

/** Names an incident in the alert ledger; a failure is logged, never thrown: the incident runs on. */
export async function adoptInLedger(
  ledger: Pick<AlertLedger, 'adopt'>,
  log: Logger,
  inc: { id: string; runbookId: string; targetName: string; from?: IncidentRecord },
): Promise<void> {
  const { from } = inc;
  try {
    await ledger.adopt({
      incidentId: inc.id,
      pairs: [{ runbookId: inc.runbookId, targetName: inc.targetName }],
      ...(from
        ? {
            moveFrom: {
              incidentId: from.id,
              fingerprints: Object.keys(from.state.alerts ?? {}),
              pairs: [{ runbookId: from.state.runbookId, targetName: from.targetName }],
            },
          }
        : {}),
    });
  } catch (e) {
    // Only an alert for it would open a second incident; that is no reason to fail this one.
    log.warn({ incident: inc.id, err: String(e) }, 'could not name the incident in the alert ledger');
  }
}

/** What a handover's incident keeps of the one it continues: where it is told, and the alert that opened it. */
export function carriedMeta(m: IncidentMeta): IncidentMeta {
  const keep = ['channel', 'alertName', 'alertSeverity', 'alertSummary', 'alertUrl'] as const;
  const out: IncidentMeta = {};
  for (const k of keep) if (m[k] !== undefined) out[k] = m[k];
  return out;
}
