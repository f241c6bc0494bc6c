import { z } from 'zod';

// Alertmanager's webhook payload (version 4), read loosely: Alertmanager adds fields between versions,
// so fields the bot does not read are let through, and only the ones it reads are checked.

/** Go's zero time: what Alertmanager sends as the endsAt of an alert that is still firing. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** A calendar day that exists: Date.parse reads 2026-02-30 as 2026-03-02 instead of refusing it. */
function realDay(v: string): boolean {
  const m = RFC3339.exec(v);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(y, mo - 1, d));
  return day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
}

/** An RFC 3339 time as epoch ms; Go's zero time (and anything before 1970) is "not set". */
const time = z
  .string()
  .regex(RFC3339, 'an RFC 3339 time')
  .transform((v, ctx) => {
    const ms = Date.parse(v);
    if (Number.isNaN(ms) || !realDay(v)) {
      ctx.addIssue({ code: 'custom', message: 'an RFC 3339 time' });
      return z.NEVER;
    }
    return ms > 0 ? ms : undefined;
  });

const strings = z.record(z.string().max(256), z.string().max(8192));

export const alertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: strings,
  annotations: strings,
  startsAt: time,
  endsAt: time,
  generatorURL: z.string().max(8192),
  // Alertmanager's is 16 lowercase hex digits; it becomes part of Redis keys, so nothing else passes.
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{1,64}$/i, 'a hex fingerprint')
    .transform((v) => v.toLowerCase()),
});
export type ReceivedAlert = z.infer<typeof alertSchema>;

export const alertmanagerPayloadSchema = z.looseObject({
  version: z.literal('4'),
  status: z.enum(['firing', 'resolved']),
  // No count limit: the body's 1 MiB bounds it, and Alertmanager never sends a refused group again
  // (it retries only 5xx), so a limit here would lose every alert of a big group, matching or not.
  alerts: z.array(alertSchema),
  receiver: z.string().optional(),
  groupKey: z.string().optional(),
  externalURL: z.string().optional(),
});
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;

/** A path segment as a 400 shows it: a label name is the sender's text, so bounded and in one line. */
function segment(k: PropertyKey): string {
  const v = String(k);
  const safe = /^[A-Za-z0-9_]{1,64}$/.test(v) ? v : JSON.stringify(v.slice(0, 32)).replace(/[<>&]/g, '?');
  return v.length > 64 ? `${safe}…` : safe;
}

/** The payload from a request body's text, or why it is not one (for the 400's body and the log). */
export function parseAlertmanager(
  body: string,
): { ok: true; payload: AlertmanagerPayload } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ok: false, error: 'the body is not JSON' };
  }
  const parsed = alertmanagerPayloadSchema.safeParse(raw);
  if (parsed.success) return { ok: true, payload: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(segment).join('.') || '(top)'}: ${i.message.slice(0, 120)}`);
  return { ok: false, error: `not an Alertmanager version 4 payload: ${issues.join('; ')}` };
}
