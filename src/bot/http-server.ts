// The process's one HTTP port, opened before anything else so that health and readiness answer while
// Redis or Slack are still being reached. Routes are added by whoever owns them (Slack's events, later
// alerts and metrics); a route that throws gets a 500 and a log line, never the process.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../incidents/ports.js';

/** Slack's payloads are a few kilobytes; anything near this is not from Slack. */
const BODY_LIMIT_BYTES = 1024 * 1024;
/** All bodies being read at once, together: many slow senders cannot hold the memory hostage. */
const IN_FLIGHT_LIMIT_BYTES = 64 * 1024 * 1024;
const MAX_CONNECTIONS = 1024;

/** `body` is the raw bytes as text; `raw` the bytes themselves (a signature covers the bytes). */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  raw: Buffer,
) => Promise<void> | void;

/** What the process is waiting for: empty when ready. */
export type Readiness = () => Promise<Record<string, string>>;

export interface HttpServer {
  readonly port: number;
  route(method: 'GET' | 'POST', path: string, handler: RouteHandler): void;
  /** Told of every answered request: its route, status and seconds from arrival to the last byte. */
  onAnswered(fn: (route: string, status: number, seconds: number) => void): void;
  close(): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

class TooLarge extends Error {}
class Busy extends Error {}

let inFlight = 0;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let held = 0;
    let busy = false;
    const release = () => {
      inFlight -= held;
      held = 0;
    };
    // Past a limit the rest is read and dropped, so that the client hears the 413 or 503 (the
    // request timeout bounds how long that can take).
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT_BYTES || busy) return;
      if (inFlight + c.length > IN_FLIGHT_LIMIT_BYTES) {
        busy = true;
        release();
        chunks.length = 0;
        return;
      }
      inFlight += c.length;
      held += c.length;
      chunks.push(c);
    });
    req.on('end', () => {
      release();
      if (busy) reject(new Busy());
      else if (size > BODY_LIMIT_BYTES) reject(new TooLarge());
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      release();
      reject(e);
    });
    req.on('close', release);
  });
}

export async function startHttpServer(o: {
  port: number;
  ready: Readiness;
  log: Logger;
}): Promise<HttpServer> {
  const routes = new Map<string, RouteHandler>();
  routes.set('GET /healthz', (_q, res) => sendJson(res, 200, { ok: true }));
  routes.set('GET /readyz', async (_q, res) => {
    const waiting = await o.ready().catch((e: unknown) => ({ readiness: String(e) }));
    const ok = Object.keys(waiting).length === 0;
    sendJson(res, ok ? 200 : 503, ok ? { ok } : { ok, waiting });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const handler = routes.get(`${req.method} ${path}`);
    if (!handler) return sendJson(res, 404, { ok: false, error: 'not found' });
    const raw = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
    await handler(req, res, raw.toString('utf8'), raw);
  };
  // Node checks these timeouts every connectionsCheckingInterval (30 s by default): a slow sender
  // would otherwise hold a connection for 30 s, whatever the timeouts say.
  let answered: (route: string, status: number, seconds: number) => void = () => undefined;
  const server: Server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    const t0 = performance.now();
    res.once('finish', () => {
      const route = `${req.method} ${new URL(req.url ?? '/', 'http://local').pathname}`;
      answered(route, res.statusCode, (performance.now() - t0) / 1000);
    });
    handle(req, res).catch((e: unknown) => {
      if (e instanceof TooLarge) return sendJson(res, 413, { ok: false, error: 'body too large' });
      if (e instanceof Busy) return sendJson(res, 503, { ok: false, error: 'too many requests in flight' });
      const err = e instanceof Error ? e.message : String(e);
      // A client that hangs up mid-body is its own affair, not a fault of the bot's.
      if (req.destroyed || err === 'aborted')
        return void o.log.info({ err, path: req.url }, 'client went away before its request was read');
      o.log.error({ err, path: req.url }, 'http route failed');
      sendJson(res, 500, { ok: false, error: 'internal error' });
    });
  });
  // A client that trickles its request ties up nothing for long.
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  server.maxConnections = MAX_CONNECTIONS;
  // A connection that sends nothing at all never starts a request, so no request timeout cuts it.
  server.timeout = 20_000;
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    route: (method, path, handler) => void routes.set(`${method} ${path}`, handler),
    onAnswered: (fn) => {
      answered = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
