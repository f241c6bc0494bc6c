import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiContext } from '../context.js';
import { parseArgs, sendJson, sendText } from '../http-util.js';
import type { ClickInput, SlashCommandInput } from '../interactions.js';
import type { BotReply } from '../signing.js';
import { deliverCommandReply } from './command-reply.js';
import { ConsoleEvents } from './events.js';
import { escapeHtml, filePage, renderMarkdown } from './markdown.js';
import { consoleScript } from './page-app.js';
import { CONSOLE_CSP, consolePage } from './page-html.js';
import { type CommandLogEntry, type ConsoleExtras, consoleState } from './state.js';

// The web console's HTTP side, mounted on the local Slack's own server:
//   GET  /                      the page (HTML and CSS; its vanilla JS is /console/app.js, no build step)
//   GET  /console/api/state     ?user=U… : channels, users, messages with threads, files, that user's ephemerals
//   GET  /console/events        Server-Sent Events: `change` on every store change
//   POST /console/api/command   {userId, channelId, text} → a slash command to the bot (HTTP or Socket Mode)
//   POST /console/api/click     {userId, channelId, messageTs, actionId, blockId?, value?} → a click
//   POST /console/api/extras/ID {userId, channelId} → runs one of `consoleExtras`' actions
//   GET  /console/files/ID      a file (Markdown rendered; `?raw=1` for the bytes)
// Anyone who can reach the console can act as any user: it is for a machine of one's own. POSTs must be
// JSON (a cross-site form cannot send that without a CORS preflight, which is never granted) and name a
// loopback or the bound host (so a DNS-rebinding page cannot drive it either).

export interface ConsoleDeps {
  ctx: ApiContext;
  extras?: ConsoleExtras;
  /** The host the server was bound to; loopback names are always accepted. */
  boundHost: string;
  slashCommand(input: SlashCommandInput): Promise<BotReply>;
  clickButton(input: ClickInput): Promise<BotReply>;
}

const MAX_LOG = 500;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
type Json = Record<string, unknown>;

const str = (body: Json, key: string): string | undefined =>
  typeof body[key] === 'string' && body[key] !== '' ? body[key] : undefined;

export class WebConsole {
  readonly events: ConsoleEvents;
  private readonly log: CommandLogEntry[] = [];

  constructor(private readonly deps: ConsoleDeps) {
    this.events = new ConsoleEvents(deps.ctx.store);
  }

  /** Handles a console route; false when the path is not one of the console's. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer): Promise<boolean> {
    const path = url.pathname;
    if (req.method === 'GET') {
      if (path === '/' || path === '/console' || path === '/console/') {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': CONSOLE_CSP,
        });
        res.end(consolePage());
        return true;
      }
      if (path === '/console/app.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
        res.end(consoleScript());
        return true;
      }
      if (path === '/console/api/state') {
        const user = url.searchParams.get('user') ?? undefined;
        const { store, workspace } = this.deps.ctx;
        const state = consoleState(store, workspace, {
          user,
          version: this.events.version,
          commands: this.log,
          ...(this.deps.extras ? { extras: this.deps.extras } : {}),
        });
        sendJson(res, 200, state);
        return true;
      }
      if (path === '/console/events') {
        this.events.subscribe(req, res);
        return true;
      }
      const file = /^\/console\/files\/([^/]+)$/.exec(path);
      if (file?.[1]) {
        this.file(res, decodeURIComponent(file[1]), url.searchParams.has('raw'));
        return true;
      }
      return false;
    }
    if (req.method !== 'POST' || !path.startsWith('/console/api/')) return false;
    const refusal = this.refuse(req);
    if (refusal) {
      sendJson(res, refusal.status, { ok: false, error: refusal.error });
      return true;
    }
    const body = parseArgs('application/json', raw);
    if (!body) {
      sendJson(res, 400, { ok: false, error: 'invalid_json' });
      return true;
    }
    const extra = /^\/console\/api\/extras\/([^/]+)$/.exec(path);
    if (path === '/console/api/command') await this.command(res, body);
    else if (path === '/console/api/click') await this.click(res, body);
    else if (extra?.[1]) await this.extra(res, decodeURIComponent(extra[1]), body);
    else sendJson(res, 404, { ok: false, error: 'unknown_route' });
    return true;
  }

  close(): void {
    this.events.close();
  }

  private refuse(req: IncomingMessage): { status: number; error: string } | undefined {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') return { status: 415, error: 'content_type_must_be_json' };
    const host = req.headers.host ?? '';
    const hostname = host.replace(/:\d+$/, '').toLowerCase();
    if (!LOOPBACK.has(hostname) && hostname !== this.deps.boundHost.toLowerCase())
      return { status: 403, error: 'host_not_allowed' };
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`)
      return { status: 403, error: 'origin_not_allowed' };
    return undefined;
  }

  private async command(res: ServerResponse, body: Json): Promise<void> {
    const userId = str(body, 'userId');
    const channelId = str(body, 'channelId');
    const line = (str(body, 'text') ?? '').trim();
    // "/incident run x" or, with `command` given, just "run x".
    const explicit = str(body, 'command');
    const m = explicit ? undefined : /^(\/[\w-]+)\s*([\s\S]*)$/.exec(line);
    const command = explicit ?? m?.[1];
    const text = explicit ? line : (m?.[2] ?? '');
    if (!userId || !channelId || !command)
      return sendJson(res, 400, { ok: false, error: 'need userId, channelId and a text starting with /' });
    const { store } = this.deps.ctx;
    if (!store.user(userId)) return sendJson(res, 400, { ok: false, error: `no user ${userId}` });
    const channel = store.channel(channelId);
    if (!channel) return sendJson(res, 400, { ok: false, error: `no channel ${channelId}` });
    const entry: CommandLogEntry = {
      id: this.log.length + 1,
      ts: store.nextTs(),
      user: userId,
      channel: channel.id,
      command,
      text,
    };
    this.log.push(entry);
    if (this.log.length > MAX_LOG) this.log.shift();
    const at = { user: userId, channel: channel.id, command };
    let reply: BotReply;
    try {
      reply = await this.deps.slashCommand({ userId, channelId: channel.id, command, text });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      entry.error = error;
      deliverCommandReply(this.deps.ctx, at, { error });
      this.events.touch('command');
      return sendJson(res, 200, { ok: false, error: 'dispatch_failed', detail: error });
    }
    entry.status = reply.status;
    entry.elapsedMs = reply.elapsedMs;
    deliverCommandReply(this.deps.ctx, at, reply);
    this.events.touch('command');
    sendJson(res, 200, { ok: true, ...botReply(reply) });
  }

  private async click(res: ServerResponse, body: Json): Promise<void> {
    const userId = str(body, 'userId');
    const channelId = str(body, 'channelId');
    const messageTs = str(body, 'messageTs');
    const actionId = str(body, 'actionId');
    if (!userId || !channelId || !messageTs || !actionId)
      return sendJson(res, 400, { ok: false, error: 'need userId, channelId, messageTs and actionId' });
    const blockId = str(body, 'blockId');
    const value = str(body, 'value');
    const input: ClickInput = {
      userId,
      channelId,
      messageTs,
      actionId,
      ...(blockId !== undefined ? { blockId } : {}),
      ...(value !== undefined ? { value } : {}),
    };
    let reply: BotReply;
    try {
      reply = await this.deps.clickButton(input);
    } catch (e) {
      // An unknown user, message or button is the console's mistake (or a stale page): say which.
      return sendJson(res, 400, { ok: false, error: e instanceof Error ? e.message : String(e) });
    }
    sendJson(res, 200, { ok: true, ...botReply(reply) });
  }

  private async extra(res: ServerResponse, id: string, body: Json): Promise<void> {
    const action = this.deps.extras?.actions.find((a) => a.id === id);
    if (!action) return sendJson(res, 404, { ok: false, error: `no console action ${id}` });
    try {
      const text = await action.run({
        userId: str(body, 'userId') ?? '',
        channelId: str(body, 'channelId') ?? '',
      });
      sendJson(res, 200, { ok: true, text });
    } catch (e) {
      sendJson(res, 200, { ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  }

  private file(res: ServerResponse, id: string, raw: boolean): void {
    const f = this.deps.ctx.store.files.get(id);
    if (!f?.content) {
      sendText(res, 404, `no file ${id}`);
      return;
    }
    const ext = f.filename.split('.').pop()?.toLowerCase() ?? '';
    const text = ['md', 'markdown', 'txt', 'log', 'json', 'csv', 'yaml', 'yml'].includes(ext);
    if (raw || !text) {
      res.writeHead(200, {
        'content-type': text ? 'text/plain; charset=utf-8' : 'application/octet-stream',
        ...(text ? {} : { 'content-disposition': `attachment; filename="${f.filename.replace(/"/g, '')}"` }),
      });
      res.end(f.content);
      return;
    }
    const source = f.content.toString('utf8');
    const body =
      ext === 'md' || ext === 'markdown' ? renderMarkdown(source) : `<pre>${escapeHtml(source)}</pre>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(filePage(f.title || f.filename, body, `/console/files/${encodeURIComponent(id)}?raw=1`));
  }
}

function botReply(r: BotReply) {
  return {
    status: r.status,
    body: r.body,
    ...(r.json !== undefined ? { json: r.json } : {}),
    elapsedMs: r.elapsedMs,
  };
}
