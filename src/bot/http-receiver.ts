// Bolt's receiver for POST /slack/events, in place of its HTTPReceiver: the request is verified
// (both sides of the time window, no replay), parsed with one value per field, and only then handed to
// the app. Nothing a request holds can throw past this point: a bad one gets its status and a log line.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../incidents/ports.js';
import { parseSlackBody, SIGNATURE_WINDOW_SEC, verifySignature } from './request-check.js';
import type { SeenRequests } from './seen-requests.js';
import { checkPayload } from './slack-payload.js';

/** Slack gives up on an app that has not answered in three seconds. */
const ACK_TIMEOUT_MS = 3000;

export interface HttpReceiverOptions {
  signingSecret: string;
  seen: SeenRequests;
  now: () => number;
  log: Logger;
}

function respond(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent || res.writableEnded) return;
  if (body === undefined || body === '') {
    res.writeHead(status);
    res.end();
  } else if (typeof body === 'string') {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
  } else {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }
}

export class HttpReceiver implements Receiver {
  private app: App | undefined;

  constructor(private readonly o: HttpReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }

  // The HTTP server belongs to the process (health routes answer before Slack is reachable).
  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  async handle(req: IncomingMessage, res: ServerResponse, rawBody: string, bytes: Buffer): Promise<void> {
    const refuse = (status: number, reason: string) => {
      this.o.log.warn({ status, reason }, 'refused a request to /slack/events');
      respond(res, status);
    };
    const signed = verifySignature(req.headers, bytes, this.o.signingSecret, this.o.now());
    if (!signed.ok) return refuse(signed.status, signed.reason);
    const parsed = parseSlackBody(req.headers['content-type'], rawBody);
    if (!parsed.ok) return refuse(parsed.status, parsed.reason);
    const body = parsed.value;
    if (body.ssl_check === '1') return respond(res, 200);
    if (body.type === 'url_verification')
      return typeof body.challenge === 'string'
        ? respond(res, 200, { challenge: body.challenge })
        : refuse(400, 'url_verification without a challenge string');
    const shape = checkPayload(body);
    if (!shape.ok) return refuse(shape.status, shape.reason);
    // Remembered only once it verified, so forged requests cannot fill the memory of real ones.
    const fresh = await this.o.seen
      // Both sides of the window, and a minute more, so no accepted signature is forgotten early.
      .firstTime(`slack-sig:${signed.value}`, (2 * SIGNATURE_WINDOW_SEC + 60) * 1000)
      .catch(() => false);
    if (!fresh) return refuse(401, 'a replay of a request already accepted');
    await this.dispatch(res, body);
  }

  private async dispatch(res: ServerResponse, body: Record<string, unknown>): Promise<void> {
    const app = this.app;
    if (!app) return respond(res, 503);
    let acked = false;
    const timer = setTimeout(() => {
      if (acked) return;
      acked = true;
      this.o.log.error({ type: String(body.type ?? body.command ?? '?') }, 'no acknowledgement within 3 s');
      respond(res, 500);
    }, ACK_TIMEOUT_MS);
    const event: ReceiverEvent = {
      body,
      ack: async (response?: unknown) => {
        if (acked) return;
        acked = true;
        clearTimeout(timer);
        respond(res, 200, response);
      },
    };
    try {
      await app.processEvent(event);
      // No listener took it (an event type the bot does not handle): say so now, not in 3 s.
      if (!acked) {
        acked = true;
        clearTimeout(timer);
        respond(res, 404);
      }
    } catch (e) {
      // Bolt's error handler has logged it; Slack still needs an answer if the handler gave none.
      this.o.log.error({ err: e instanceof Error ? e.message : String(e) }, 'slack request failed');
      if (!acked) {
        acked = true;
        clearTimeout(timer);
        respond(res, 500);
      }
    }
  }
}
