import type { OpeningAlert } from '../runbooks/index.js';
import type { IncidentMeta } from './meta.js';
import type { IncidentSource } from './metrics-port.js';
import type { IncidentRecord } from './ports.js';

/** What starts an incident: a slash command, an alert, or a handover from the incident before. */
export interface StartRequest {
  runbookId: string;
  targetName: string;
  startedBy: string;
  meta?: IncidentMeta;
  /** Runbooks that already ran on this fault, oldest first, when this start is a handover. */
  handedOverFrom?: string[];
  /** Counted in the started metric; default slack. */
  source?: IncidentSource;
  /** The alert that opens it, when one does. */
  alert?: OpeningAlert;
  /** A handover's: the incident it continues, whose alerts it takes over. */
  continues?: IncidentRecord;
}

export type StartRefusal =
  | { code: 'unknown-runbook'; message: string; known: readonly string[] }
  | { code: 'unknown-target'; message: string; known: readonly string[] };
