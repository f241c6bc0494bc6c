// What Slack sends over HTTP is checked here before Bolt sees it: the signature, a timestamp window
// that closes on both sides (Bolt's own check lets a request signed for the future through), and a
// body that parses to exactly one value per field. Every refusal is a status and a reason to log.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's window: a request signed more than five minutes away from now, either way, is refused. */
export const SIGNATURE_WINDOW_SEC = 5 * 60;

export type Checked<T> = { ok: true; value: T } | { ok: false; status: 400 | 401; reason: string };

const refuse = (status: 400 | 401, reason: string): { ok: false; status: 400 | 401; reason: string } => ({
  ok: false,
  status,
  reason,
});

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** The signature that verified, to remember against replays within the window. */
export function verifySignature(
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer,
  signingSecret: string,
  nowMs: number,
): Checked<string> {
  const ts = header(headers, 'x-slack-request-timestamp');
  const signature = header(headers, 'x-slack-signature');
  if (ts === undefined || signature === undefined) return refuse(401, 'no signature or timestamp');
  if (!/^\d{1,12}$/.test(ts)) return refuse(401, 'the timestamp is not a number of seconds');
  const skew = Number(ts) - Math.floor(nowMs / 1000);
  if (skew < -SIGNATURE_WINDOW_SEC) return refuse(401, 'the request is older than five minutes');
  if (skew > SIGNATURE_WINDOW_SEC)
    return refuse(401, 'the request is signed for more than five minutes ahead');
  const m = /^v0=([0-9a-f]{64})$/.exec(signature);
  if (!m?.[1]) return refuse(401, 'the signature is not a v0 signature');
  // Over the bytes as sent: two byte strings that decode to the same text must not share a signature.
  const ours = createHmac('sha256', signingSecret).update(`v0:${ts}:`).update(rawBody).digest();
  if (!timingSafeEqual(ours, Buffer.from(m[1], 'hex'))) return refuse(401, 'the signature does not match');
  return { ok: true, value: m[1] };
}

export type SlackBody = Record<string, unknown>;

/**
 * A slash command is a form; an interaction is a form with one `payload` field holding a JSON object.
 * A field given twice is refused: which one a handler would read is a guess an attacker could steer.
 */
export function parseSlackBody(contentType: string | undefined, rawBody: string): Checked<SlackBody> {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    try {
      const v: unknown = JSON.parse(rawBody);
      return isObject(v) ? { ok: true, value: v } : refuse(400, 'the JSON body is not an object');
    } catch {
      return refuse(400, 'the body is not valid JSON');
    }
  }
  if (type !== 'application/x-www-form-urlencoded') return refuse(400, `unsupported content type ${type}`);
  const form = new URLSearchParams(rawBody);
  const body: SlackBody = {};
  for (const [k, v] of form) {
    if (Object.hasOwn(body, k)) return refuse(400, `the field ${k.slice(0, 40)} is given more than once`);
    body[k] = v;
  }
  if (!Object.hasOwn(body, 'payload')) return { ok: true, value: body };
  try {
    const payload: unknown = JSON.parse(String(body.payload));
    return isObject(payload) ? { ok: true, value: payload } : refuse(400, 'payload is not a JSON object');
  } catch {
    return refuse(400, 'payload is not valid JSON');
  }
}

function isObject(v: unknown): v is SlackBody {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
