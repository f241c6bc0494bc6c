import { z } from 'zod';

// What the edges attach to an incident beside the engine's state: where its thread is, what it was
// handed over from and to, and which one-shot Slack posts are already made. Kept as one flat map of
// strings in the store; its keys are built here and nowhere else.

/** Keys of one-shot posts: the approval cards (and the state each shows), the findings, notes, the rest. */
export type PostKey = `card.${string}` | `findings.${string}` | `note.${string}` | 'handover' | 'report';

export interface IncidentMeta {
  /** The Slack channel the incident's thread is in (absent for an incident started elsewhere). */
  channel?: string;
  /** The ts of the incident's root message in that channel. */
  rootTs?: string;
  /** The incident this one was handed over from. */
  parent?: string;
  /** The incident this one handed over to. */
  handedOverTo?: string;
  handover?: string;
  report?: string;
  /** For an incident an alert opened: the alert's name, severity, summary and source link, as received. */
  alertName?: string;
  alertSeverity?: string;
  alertSummary?: string;
  alertUrl?: string;
  [card: `card.${string}`]: string | undefined;
  [shown: `cardState.${string}`]: string | undefined;
  [findings: `findings.${string}`]: string | undefined;
  [note: `note.${string}`]: string | undefined;
}

export const metaKey = {
  card: (approvalId: string) => `card.${approvalId}` as const,
  cardState: (approvalId: string) => `cardState.${approvalId}` as const,
  findings: (stepKey: string) => `findings.${stepKey}` as const,
  note: (key: string) => `note.${key}` as const,
};

const KEY =
  /^(channel|rootTs|parent|handedOverTo|handover|report|alert(Name|Severity|Summary|Url)|(card|cardState|findings|note)\.[\w@.~:-]{1,200})$/;
const metaSchema = z.record(z.string().regex(KEY), z.string().max(2000));

/** The meta as read back from the store: only the keys above, each a string; anything else is refused. */
export function parseMeta(raw: unknown): { ok: true; meta: IncidentMeta } | { ok: false; error: string } {
  const parsed = metaSchema.safeParse(raw);
  return parsed.success
    ? { ok: true, meta: parsed.data as IncidentMeta }
    : { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}
