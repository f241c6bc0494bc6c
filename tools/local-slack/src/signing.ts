import { createHmac, randomBytes } from 'node:crypto';

// How Slack signs what it sends to an app: X-Slack-Signature is `v0=` + hex HMAC-SHA256, keyed by the
// app's signing secret, of `v0:{X-Slack-Request-Timestamp}:{raw body}`.

export function signV0(signingSecret: string, timestampSec: number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${rawBody}`).digest('hex')}`;
}

/** Ways to send a request Slack would never send, for tests of the bot's refusals. */
export interface SendOptions {
  /** Sign with a different secret: a well-formed `v0=` signature that does not verify. */
  forgeSignature?: boolean;
  /** Leave X-Slack-Signature out altogether. */
  omitSignature?: boolean;
  /** Request timestamp in seconds (signed correctly); e.g. `now - 600` for a stale or replayed request. */
  timestampSec?: number;
}

/**
 * Exactly what was sent, so a test can replay it byte for byte with `resend`. For a Socket Mode
 * delivery it describes the envelope instead (`url` is `socket-mode:connection/N`, `body` the envelope
 * JSON, no headers); replaying one is refused, as a replay is an HTTP attack.
 */
export interface SentRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface BotReply {
  /**
   * The HTTP status; over Socket Mode 200 for an ack, 504 when no ack came within Slack's 3 seconds
   * and 502 when the connection closed before one did.
   */
  status: number;
  /** The HTTP body, or the ack's payload as JSON ('' for a bare ack, as for Bolt's empty HTTP ack). */
  body: string;
  /** The body parsed as JSON when it is JSON (Bolt acks with an empty body or a JSON message). */
  json?: unknown;
  /** How long the bot took to answer: Slack gives up after 3 seconds ("operation_timeout"). */
  elapsedMs: number;
  request: SentRequest;
  transport: 'http' | 'socket';
  /** Socket Mode only: which envelope on which connection, and how long delivery waited for one. */
  socket?: { envelopeId: string; connection: number; waitedMs: number };
}

export function signedRequest(
  url: string,
  signingSecret: string,
  body: string,
  opts: SendOptions = {},
): SentRequest {
  const timestampSec = opts.timestampSec ?? Math.floor(Date.now() / 1000);
  const secret = opts.forgeSignature ? `forged-${randomBytes(8).toString('hex')}` : signingSecret;
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    'x-slack-request-timestamp': String(timestampSec),
  };
  if (!opts.omitSignature) headers['x-slack-signature'] = signV0(secret, timestampSec, body);
  return { url, headers, body };
}

export async function send(request: SentRequest): Promise<BotReply> {
  if (request.url.startsWith('socket-mode:'))
    throw new Error('local Slack: resend replays HTTP requests only; this one went over Socket Mode');
  const started = performance.now();
  const res = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body });
  const body = await res.text();
  let json: unknown;
  try {
    json = body === '' ? undefined : JSON.parse(body);
  } catch {
    json = undefined;
  }
  const elapsedMs = Math.round(performance.now() - started);
  return {
    status: res.status,
    body,
    ...(json !== undefined ? { json } : {}),
    elapsedMs,
    request,
    transport: 'http',
  };
}
