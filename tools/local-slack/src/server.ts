import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebConsole } from './console/routes.js';
import type { ConsoleExtras } from './console/state.js';
import type { ApiContext, Workspace } from './context.js';
import { fileText, receiveUpload } from './files-api.js';
import { BodyTooLarge, parseArgs, readBody, sendJson, sendText } from './http-util.js';
import {
  blockActionsPayload,
  type ClickInput,
  type SlashCommandInput,
  slashCommandFields,
} from './interactions.js';
import { ResponseUrls } from './response-urls.js';
import { type BotReply, type SendOptions, type SentRequest, send, signedRequest } from './signing.js';
import { SocketModeHub } from './socket-mode.js';
import { SlackStore } from './store.js';
import type { LocalChannel, LocalMessage, LocalUser, LocalUserGroup } from './types.js';
import { callMethod } from './web-api.js';

export interface LocalSlackOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Where slash commands and interactions go, e.g. `http://127.0.0.1:3000/slack/events`. */
  botUrl?: string;
  signingSecret: string;
  botToken: string;
  /** The app-level token (`xapp-…`) apps.connections.open accepts; Socket Mode needs one. */
  appToken?: string;
  /** How slash commands and clicks reach the bot: signed HTTP to `botUrl` (the default), or Socket Mode. */
  mode?: 'http' | 'socket';
  /** The user directory; defaults to alice, bob and carol (U_ALICE, U_BOB, U_CAROL). */
  users?: LocalUser[];
  /** Channels to create; defaults to `C_INCIDENTS` named `incidents`. */
  channels?: { id: string; name: string }[];
  /** User groups (`<!subteam^S…>`), for usergroups.list and usergroups.users.list. */
  userGroups?: LocalUserGroup[];
  workspace?: Partial<Workspace>;
  /** Extra buttons for the web console's side panel (e.g. the demo's "Break a scenario"). */
  consoleExtras?: ConsoleExtras;
  /** Delay before each Web API answer, as a real Slack's round trip would add (benchmarks). */
  apiLatencyMs?: number;
}

export interface LocalSlack {
  /** Web API base with the trailing slash Bolt's `slackApiUrl` needs: `http://127.0.0.1:PORT/api/`. */
  readonly url: string;
  /** `http://127.0.0.1:PORT`; the web console is at `origin + '/'`. */
  readonly origin: string;
  readonly workspace: Workspace;
  /** All state: channels, users, messages, files, ephemerals, response_url posts, API calls. */
  readonly store: SlackStore;
  /** Settable after start: the bot usually needs this server's URL before its own port is known. */
  botUrl: string | undefined;
  /** Settable at any time; in `socket` mode deliveries go to a connected Socket Mode client. */
  mode: 'http' | 'socket';
  /**
   * A slash command as Slack sends it. Over Socket Mode it waits (up to 10 s) for a connection, then 3 s
   * for the ack; the signing options are for HTTP only.
   */
  slashCommand(input: SlashCommandInput & SendOptions): Promise<BotReply>;
  clickButton(input: ClickInput & SendOptions): Promise<BotReply>;
  /** Sends a captured HTTP request again, byte for byte (a replay within Slack's 5-minute window). */
  resend(request: SentRequest): Promise<BotReply>;
  /**
   * What Slack does before rotating a connection: `{type: 'disconnect', reason}` on every open socket,
   * then a close if the client has not closed it. Resolves once they are closed; the client is expected
   * to reconnect through apps.connections.open.
   */
  disconnect(reason?: string): Promise<void>;
  /** Cuts every Socket Mode connection without a close frame, like a network failure. */
  dropConnections(): void;
  /** Sends any envelope over Socket Mode, as a broken or hostile Slack might: for the bot's refusals. */
  sendEnvelope(type: 'slash_commands' | 'interactive', payload: Record<string, unknown>): Promise<BotReply>;
  createChannel(name: string, id?: string): LocalChannel;
  addUser(user: LocalUser): void;
  addUserGroup(group: LocalUserGroup): void;
  /** Top-level messages of a channel, oldest first. */
  messages(channel: string): LocalMessage[];
  /** Replies in a thread, oldest first, without the parent. */
  thread(channel: string, parentTs: string): LocalMessage[];
  message(channel: string, ts: string): LocalMessage | undefined;
  fileText(fileId: string): string | undefined;
  waitFor<T>(probe: (store: SlackStore) => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const DEFAULT_USERS: LocalUser[] = [
  { id: 'U_ALICE', name: 'alice', realName: 'Alice Oncall' },
  { id: 'U_BOB', name: 'bob', realName: 'Bob Approver' },
  { id: 'U_CAROL', name: 'carol', realName: 'Carol Observer' },
];

export async function createLocalSlack(opts: LocalSlackOptions): Promise<LocalSlack> {
  const workspace: Workspace = {
    teamId: 'T_LOCAL',
    teamDomain: 'local',
    appId: 'A_RUNBOOK',
    botUserId: 'U_BOT',
    botId: 'B_BOT',
    botName: 'runbook-bot',
    verificationToken: 'local-verification-token',
    ...opts.workspace,
  };
  const store = new SlackStore();
  for (const c of opts.channels ?? [{ id: 'C_INCIDENTS', name: 'incidents' }])
    store.createChannel(c.name, c.id);
  for (const u of opts.users ?? DEFAULT_USERS) store.addUser(u);
  store.addUser({ id: workspace.botUserId, name: workspace.botName });
  for (const g of opts.userGroups ?? []) store.addUserGroup(g);

  let origin = '';
  const ctx: ApiContext = { store, workspace, origin: () => origin };
  const hub = new SocketModeHub(ctx);
  ctx.socketUrl = () => hub.openUrl();
  const tokens = { botToken: opts.botToken, appToken: opts.appToken };
  const responseUrls = new ResponseUrls(ctx);
  // The console calls back into `slack` (created below, once the port is known) at request time.
  const webConsole = new WebConsole({
    ctx,
    boundHost: opts.host ?? '127.0.0.1',
    ...(opts.consoleExtras ? { extras: opts.consoleExtras } : {}),
    slashCommand: (input) => slack.slashCommand(input),
    clickButton: (input) => slack.clickButton(input),
  });

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    const query = url.searchParams;
    const raw = req.method === 'POST' ? await readBody(req) : Buffer.alloc(0);
    const contentType = req.headers['content-type'];
    const api = /^\/api\/([\w.]+)$/.exec(path);
    if (api?.[1]) {
      const args = req.method === 'GET' ? Object.fromEntries(query) : parseArgs(contentType, raw);
      if (!args) return sendJson(res, 200, { ok: false, error: 'invalid_arguments' });
      if (opts.apiLatencyMs) await new Promise((r) => setTimeout(r, opts.apiLatencyMs));
      return sendJson(res, 200, callMethod(api[1], req.headers.authorization, args, ctx, tokens));
    }
    if (req.method === 'POST' && path.startsWith('/upload/v1/')) {
      const r = receiveUpload(store, path, contentType, raw);
      return sendText(res, r.status, r.text);
    }
    const hook = /^\/(?:commands|actions)\/[^/]+\/([0-9a-f]+)$/.exec(path);
    if (req.method === 'POST' && hook?.[1]) {
      const r = responseUrls.handle(hook[1], parseArgs('application/json', raw));
      return sendText(res, r.status, r.text);
    }
    if (await webConsole.handle(req, res, url, raw)) return;
    sendText(res, 404, 'not found');
  };

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      sendText(res, e instanceof BodyTooLarge ? 413 : 500, e instanceof Error ? e.message : String(e));
    });
  });
  server.on('upgrade', (req, socket, head: Buffer) => {
    if (!hub.upgrade(req, socket, head))
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  origin = `http://${host}:${address.port}`;

  const target = (botUrl: string | undefined): string => {
    if (!botUrl)
      throw new Error('local Slack: botUrl is not set; set slack.botUrl to the bot’s /slack/events');
    return botUrl;
  };
  /** Over HTTP a form body signed like Slack's; over Socket Mode the same fields in an envelope. */
  const deliver = (
    type: 'slash_commands' | 'interactive',
    payload: Record<string, unknown>,
    form: () => string,
    input: SendOptions,
  ): Promise<BotReply> => {
    if (slack.mode === 'http')
      return send(signedRequest(target(slack.botUrl), opts.signingSecret, form(), input));
    if (input.forgeSignature || input.omitSignature || input.timestampSec !== undefined)
      throw new Error('local Slack: signing options apply to HTTP delivery; Socket Mode is not signed');
    return hub.deliver(type, payload);
  };

  const slack: LocalSlack = {
    url: `${origin}/api/`,
    origin,
    workspace,
    store,
    botUrl: opts.botUrl,
    mode: opts.mode ?? 'http',
    slashCommand: async (input) => {
      const fields = slashCommandFields(ctx, responseUrls, input);
      const reply = await deliver(
        'slash_commands',
        fields,
        () => new URLSearchParams(fields).toString(),
        input,
      );
      store.commandReplies.push({
        channel: fields.channel_id ?? input.channelId,
        user: input.userId,
        command: fields.command ?? '',
        status: reply.status,
        body: reply.body,
        ...(reply.json !== undefined ? { json: reply.json } : {}),
      });
      store.changed('command_reply');
      return reply;
    },
    clickButton: async (input) => {
      const payload = blockActionsPayload(ctx, responseUrls, input);
      const form = () => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      return deliver('interactive', payload, form, input);
    },
    resend: send,
    disconnect: (reason = 'refresh_requested') => hub.disconnect(reason),
    dropConnections: () => hub.drop(),
    sendEnvelope: (type, payload) => hub.deliver(type, payload),
    createChannel: (name, id) => store.createChannel(name, id),
    addUser: (user) => store.addUser(user),
    addUserGroup: (group) => store.addUserGroup(group),
    messages: (channel) => store.channelMessages(channel),
    thread: (channel, parentTs) => store.thread(channel, parentTs),
    message: (channel, ts) => store.message(channel, ts),
    fileText: (fileId) => fileText(store, fileId),
    waitFor: (probe, timeoutMs) => store.waitFor(probe, timeoutMs),
    close: async () => {
      webConsole.close();
      // Upgraded sockets are no longer the HTTP server's to close, so the hub ends them first.
      await hub.close();
      await new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // fetch keeps connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      });
    },
  };
  return slack;
}
