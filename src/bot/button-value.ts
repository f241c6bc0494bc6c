import { z } from 'zod';
import { INCIDENT_ID } from '../incidents/ports.js';

// The value carried by an Approve/Reject button. It names exactly one approval request, and the
// decision is taken from the action id, not from the value, so a tampered value can at most point at
// another request, which the orchestrator then checks like any other click.

export const ACTIONS = { approve: 'incident_approve', reject: 'incident_reject' } as const;

const incidentId = z.string().regex(INCIDENT_ID);
const buttonValueSchema = z
  .object({ v: z.literal(1), incident: incidentId, approval: z.string().min(1).max(200) })
  .strict()
  // Approval ids are `<incident>-<gate>-<visit>`: a value pairing one incident with another's approval is forged.
  .refine((b) => b.approval.startsWith(`${b.incident}-`), 'approval does not belong to the incident');

export type ButtonValue = z.infer<typeof buttonValueSchema>;

export function encodeButtonValue(incident: string, approval: string): string {
  return JSON.stringify({ v: 1, incident, approval } satisfies ButtonValue);
}

export function decodeButtonValue(raw: unknown): ButtonValue | null {
  if (typeof raw !== 'string' || raw.length > 2000) return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = buttonValueSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
