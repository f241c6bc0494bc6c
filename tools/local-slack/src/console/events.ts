import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SlackStore } from '../store.js';

// Server-Sent Events for the console: one `change` event per store change, carrying a sequence number
// and what changed (message, ephemeral, file...). The page fetches the state again on each; pushing a
// small event instead of the state keeps per-user filtering in one place (the state endpoint).

const KEEPALIVE_MS = 15_000;

export class ConsoleEvents {
  private readonly clients = new Set<ServerResponse>();
  private seq = 0;
  private readonly keepalive: NodeJS.Timeout;
  private readonly onChange = (what: unknown): void => {
    this.seq += 1;
    this.broadcast('change', { seq: this.seq, what: typeof what === 'string' ? what : 'change' });
  };

  constructor(private readonly store: SlackStore) {
    store.on('change', this.onChange);
    // A comment line every so often keeps proxies and the browser from dropping an idle stream.
    this.keepalive = setInterval(() => {
      for (const res of this.clients) res.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    this.keepalive.unref();
  }

  /** Store changes so far: the console state's `version`. */
  get version(): number {
    return this.seq;
  }

  /** Anything else the page should refetch for (e.g. the console's own command log). */
  touch(what: string): void {
    this.onChange(what);
  }

  subscribe(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    });
    // `retry` makes the browser reconnect quickly after the server restarts.
    res.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify({ seq: this.seq })}\n\n`);
    this.clients.add(res);
    const drop = () => this.clients.delete(res);
    req.on('close', drop);
    res.on('close', drop);
  }

  get subscribers(): number {
    return this.clients.size;
  }

  close(): void {
    clearInterval(this.keepalive);
    this.store.off('change', this.onChange);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.clients) res.write(frame);
  }
}
