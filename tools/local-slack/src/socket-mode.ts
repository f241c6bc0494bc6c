import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { ApiContext } from './context.js';
import type { BotReply } from './signing.js';
import type { SocketConnection, SocketEnvelope } from './types.js';

// Slack's Socket Mode, as @slack/socket-mode 3 speaks it: apps.connections.open (app-level token)
// hands out `ws://…/link/?ticket=…`; on connect the server sends `hello`; each slash command or click
// is an envelope `{envelope_id, type, payload, accepts_response_payload}` that the app acks with
// `{envelope_id, payload?}`. Before rotating a connection Slack sends `{type: 'disconnect', reason}`;
// the client then closes and reconnects through apps.connections.open, never reusing the URL.

/** Slack stops waiting for an ack after this long, as it does for an HTTP answer. */
const ACK_DEADLINE_MS = 3000;
/** A delivery waits this long for a connection (the client reconnects 5 s after losing one). */
const CONNECT_WAIT_MS = 10_000;
/** A URL is for connecting now; an old one must not revive a connection. */
const TICKET_TTL_MS = 30_000;
/** Slack pings its end; once pinged, the client drops a connection silent for 30 s. */
const PING_EVERY_MS = 10_000;
/** How long after a `disconnect` message the server closes a socket the client has not closed. */
const DISCONNECT_GRACE_MS = 1000;
const HOST = 'applink-local-slack';

type Outcome = { acked: true; payload: unknown } | { acked: false; why: 'timeout' | 'closed' };

export class SocketModeHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Map<string, number>();
  private readonly live = new Map<WebSocket, SocketConnection>();
  private readonly waiting = new Map<string, (payload: unknown) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pinger: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly ctx: ApiContext) {
    this.pinger = setInterval(() => {
      for (const ws of this.live.keys()) if (ws.readyState === WebSocket.OPEN) ws.ping();
    }, PING_EVERY_MS);
    this.pinger.unref();
  }

  /** What apps.connections.open returns: a URL whose ticket is good for one connection. */
  openUrl(): string {
    const ticket = randomBytes(16).toString('hex');
    this.tickets.set(ticket, Date.now() + TICKET_TTL_MS);
    const base = this.ctx.origin().replace(/^http/, 'ws');
    return `${base}/link/?ticket=${ticket}&app_id=${encodeURIComponent(this.ctx.workspace.appId)}`;
  }

  /** Takes an HTTP upgrade; false when its path is not Socket Mode's (the caller refuses it). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname !== '/link/' && url.pathname !== '/link') return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    const expires = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (this.closed || expires === undefined || Date.now() > expires) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  private accept(ws: WebSocket): void {
    const { store, workspace } = this.ctx;
    const connection: SocketConnection = { id: store.connections.length + 1, openedAt: Date.now() };
    store.connections.push(connection);
    this.live.set(ws, connection);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    // A broken peer also ends in `close`, which is what is recorded.
    ws.on('error', () => {});
    ws.on('close', (code) => {
      this.live.delete(ws);
      connection.closedAt = Date.now();
      connection.closeCode = code;
      connection.closedBy ??= connection.disconnectReason !== undefined ? 'disconnect' : 'app';
      store.changed('connection');
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.live.size,
        debug_info: {
          host: HOST,
          started: new Date(connection.openedAt).toISOString(),
          build_number: 1,
          approximate_connection_time: 18060,
        },
        connection_info: { app_id: workspace.appId },
      }),
    );
    store.changed('connection');
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return; // Slack ignores what it cannot read; the app would see no answer to it either
    }
    const m = message as { envelope_id?: unknown; payload?: unknown };
    if (typeof m.envelope_id !== 'string') return;
    const resolve = this.waiting.get(m.envelope_id);
    if (resolve) {
      resolve(m.payload ?? {});
      return;
    }
    const envelope = this.ctx.store.envelopes.find((e) => e.envelopeId === m.envelope_id);
    if (envelope && envelope.ackedAt === undefined) {
      envelope.late = true;
      this.ctx.store.changed('envelope');
    }
  }

  /** An open connection Slack would still deliver on: not closing, not told to disconnect. */
  private pick(): [WebSocket, SocketConnection] | undefined {
    const ready = [...this.live].filter(
      ([ws, c]) => ws.readyState === WebSocket.OPEN && c.disconnectReason === undefined,
    );
    return ready.at(-1);
  }

  private connectionReady(timeoutMs: number): Promise<[WebSocket, SocketConnection] | undefined> {
    const { store } = this.ctx;
    return new Promise((resolve) => {
      const done = (found: [WebSocket, SocketConnection] | undefined) => {
        clearTimeout(timer);
        store.off('change', check);
        resolve(found);
      };
      const check = () => {
        if (this.closed) return done(undefined);
        const found = this.pick();
        if (found) done(found);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      store.on('change', check);
      check();
    });
  }

  /**
   * Sends one envelope and waits for its ack. With no connection open (the app is reconnecting), waits
   * for one as Slack retries delivery; rejects when none comes, as an HTTP delivery to an app that is
   * down does.
   */
  async deliver(type: SocketEnvelope['type'], payload: Record<string, unknown>): Promise<BotReply> {
    const asked = performance.now();
    const found = await this.connectionReady(CONNECT_WAIT_MS);
    if (!found)
      throw new Error(
        `local Slack: no Socket Mode connection within ${CONNECT_WAIT_MS / 1000} s ` +
          '(is the app running with socketMode and an app-level token?)',
      );
    const [ws, connection] = found;
    const waitedMs = Math.round(performance.now() - asked);
    const envelopeId = randomUUID();
    const wire = JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: true });
    const record: SocketEnvelope = { envelopeId, type, connection: connection.id, sentAt: Date.now() };
    this.ctx.store.envelopes.push(record);
    const started = performance.now();
    const outcome = await new Promise<Outcome>((resolve) => {
      const finish = (o: Outcome) => {
        clearTimeout(timer);
        this.waiting.delete(envelopeId);
        ws.off('close', onClose);
        resolve(o);
      };
      const onClose = () => finish({ acked: false, why: 'closed' });
      const timer = setTimeout(() => finish({ acked: false, why: 'timeout' }), ACK_DEADLINE_MS);
      this.waiting.set(envelopeId, (ack) => finish({ acked: true, payload: ack }));
      ws.once('close', onClose);
      ws.send(wire);
    });
    const elapsedMs = Math.round(performance.now() - started);
    const common = {
      elapsedMs,
      request: { url: `socket-mode:connection/${connection.id}`, headers: {}, body: wire },
      transport: 'socket' as const,
      socket: { envelopeId, connection: connection.id, waitedMs },
    };
    this.ctx.store.changed('envelope');
    if (!outcome.acked) {
      const why =
        outcome.why === 'timeout'
          ? `no ack for envelope ${envelopeId} within ${ACK_DEADLINE_MS} ms`
          : `connection ${connection.id} closed before envelope ${envelopeId} was acked`;
      return { status: outcome.why === 'timeout' ? 504 : 502, body: `local Slack: ${why}`, ...common };
    }
    record.ackedAt = Date.now();
    record.ackPayload = outcome.payload;
    const p = outcome.payload;
    // A bare ack is `{}`: the same as Bolt's empty HTTP 200, so callers treat both alike.
    const hasBody = typeof p === 'object' && p !== null && Object.keys(p).length > 0;
    return {
      status: 200,
      body: hasBody ? JSON.stringify(p) : '',
      ...(hasBody ? { json: p } : {}),
      ...common,
    };
  }

  /** Sends `{type: 'disconnect', reason}` to every open connection; resolves once all are closed. */
  async disconnect(reason: string): Promise<void> {
    const targets = [...this.live].filter(([ws]) => ws.readyState === WebSocket.OPEN);
    await Promise.all(
      targets.map(
        ([ws, c]) =>
          new Promise<void>((resolve) => {
            // The client closes on its own; a client that does not is closed for it, as Slack does.
            const timer = setTimeout(() => {
              if (ws.readyState === WebSocket.OPEN) ws.close(1000, reason);
              else ws.terminate();
            }, DISCONNECT_GRACE_MS);
            this.timers.add(timer);
            ws.once('close', () => {
              clearTimeout(timer);
              this.timers.delete(timer);
              resolve();
            });
            c.disconnectReason = reason;
            ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: HOST } }));
          }),
      ),
    );
  }

  /** Cuts every connection without a close frame: what a network failure looks like to the client. */
  drop(): void {
    for (const [ws, c] of this.live) {
      c.closedBy = 'drop';
      ws.terminate();
    }
  }

  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pinger);
    for (const t of this.timers) clearTimeout(t);
    for (const [ws, c] of this.live) {
      c.closedBy ??= 'shutdown';
      ws.terminate();
    }
    // Wakes deliveries waiting for a connection, so they fail now rather than in 10 s.
    this.ctx.store.changed('connection');
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
