// The Bolt app: `/incident` and the approval buttons, over HTTP (our own receiver on the process's
// port, POST /slack/events) or Socket Mode. Every handler acknowledges first, then parses, then
// delegates. Reaching Slack is retried in the background: the process serves its health routes and
// answers "starting up" until then, and a Slack that is down at start never stops it.
import { App, type Logger as BoltLogger, LogLevel, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Logger } from '../incidents/ports.js';
import { redact } from '../runbooks/redact.js';
import { handleDecision } from './approval-handler.js';
import { boundText } from './blocks.js';
import { ACTIONS } from './button-value.js';
import { type EdgeDeps, runCommand } from './command-handlers.js';
import { HttpReceiver } from './http-receiver.js';
import type { HttpServer } from './http-server.js';
import { helpText, type Known, parseIncidentCommand, quote } from './parse-command.js';
import { retryForever } from './retry.js';
import type { SeenRequests } from './seen-requests.js';
import { checkPayload } from './slack-payload.js';
import { warmUp } from './warm-up.js';

export interface SlackEdgeOptions {
  botToken: string;
  signingSecret?: string;
  /** Socket Mode when set. */
  appToken?: string;
  /** A Slack-compatible Web API (the local Slack); keeps its trailing slash. */
  apiUrl?: string;
  /** The process's HTTP server; POST /slack/events is mounted on it in HTTP mode. */
  http: HttpServer;
  seen: SeenRequests;
  known: () => Known;
  secrets: () => readonly string[];
  now: () => number;
  log: Logger;
}

export interface SlackEdge {
  readonly client: webApi.WebClient;
  /** Handlers answer "starting up" until the orchestrator is attached. */
  attach(deps: EdgeDeps): void;
  /** Connects to Slack in the background, retrying; resolves at once. */
  start(): void;
  /** Why the edge is not ready yet, or undefined once Slack has answered. */
  waiting(): string | undefined;
  stop(): Promise<void>;
}

function boltLogger(log: Logger, secrets: () => readonly string[]): BoltLogger {
  const text = (m: unknown[]) =>
    redact(m.map((x) => (x instanceof Error ? x.message : String(x))).join(' '), secrets());
  return {
    debug: () => undefined,
    info: (...m) => log.info({ component: 'bolt' }, text(m)),
    // The Web API client warns of every failed request; its callers log the failure once, with context.
    warn: (...m) =>
      /^http request failed/.test(text(m))
        ? log.info({ component: 'bolt' }, text(m))
        : log.warn({ component: 'bolt' }, text(m)),
    error: (...m) => log.error({ component: 'bolt' }, text(m)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

export function createSlackEdge(o: SlackEdgeOptions): SlackEdge {
  let deps: EdgeDeps | undefined;
  // Against a local Slack a failing call must fail now, not after half an hour of retries.
  // A Slack that accepts the connection and never answers must fail the call, not hold it forever.
  const clientOptions = o.apiUrl
    ? { slackApiUrl: o.apiUrl, retryConfig: { retries: 0 }, timeout: 10_000 }
    : { retryConfig: { retries: 2, factor: 2 }, timeout: 10_000 };
  const logger = boltLogger(o.log, o.secrets);
  const http =
    o.appToken || !o.signingSecret
      ? undefined
      : new HttpReceiver({ signingSecret: o.signingSecret, seen: o.seen, now: o.now, log: o.log });
  const receiver =
    http ??
    new SocketModeReceiver({
      appToken: o.appToken ?? '',
      logger,
      installerOptions: { clientOptions },
      // An envelope Bolt cannot even read fails before any middleware: acknowledge it, so Slack does
      // not deliver it again, and log why.
      processEventErrorHandler: async ({ error }) => {
        o.log.warn({ err: redact(error.message, o.secrets()) }, 'refused a Socket Mode envelope');
        return true;
      },
    });
  // auth.test is ours to call (below, retried): Bolt's own call at construction rejects unhandled.
  // And with a token but that call turned off, Bolt 5 calls auth.test again before every request's
  // listeners (App.js singleAuthorization): one Slack round trip in front of every ack. So Bolt gets an
  // authorize of ours that answers from memory, with the ids our one auth.test found.
  const client = new webApi.WebClient(o.botToken, { ...clientOptions, logger });
  // Empty until that auth.test answers. Only commands and clicks are handled, which need neither id;
  // an event or message listener would (Bolt's ignoreSelf and directMention read them).
  let self: { botId?: string; botUserId?: string } = {};
  const app = new App({
    authorize: async () => ({ botToken: o.botToken, ...self }),
    receiver,
    clientOptions,
    logger,
  });
  if (http) o.http.route('POST', '/slack/events', (req, res, body, raw) => http.handle(req, res, body, raw));
  let waiting: string | undefined = 'connecting to Slack';
  let stopped = false;
  let connected = false;
  // In Socket Mode commands arrive only over the socket: while it is down, the bot is not ready.
  if (receiver instanceof SocketModeReceiver) {
    receiver.client.on('connected', () => {
      if (connected) waiting = undefined;
    });
    receiver.client.on('disconnected', () => {
      if (connected && !stopped) waiting = 'the Socket Mode connection is down; reconnecting';
    });
  }

  // Over Socket Mode nothing passes our HTTP receiver, so the same shape check runs here, first.
  if (!http)
    app.use(async ({ body, next, ...rest }) => {
      const shape = checkPayload(body as Record<string, unknown>);
      if (shape.ok) return next();
      o.log.warn({ reason: shape.reason }, 'refused a Socket Mode envelope');
      const ack = (rest as { ack?: () => Promise<void> }).ack;
      if (ack) await ack();
    });

  app.command('/incident', async ({ ack, command, respond }) => {
    // Parsing is pure and in memory, so a mistake is answered in the acknowledgement itself.
    const known = o.known();
    const parsed = parseIncidentCommand(command.text, known);
    // What was typed is echoed back; a secret pasted into the command is not.
    if (!parsed.ok)
      return void (await ack({ response_type: 'ephemeral', text: redact(parsed.message, o.secrets()) }));
    if (parsed.command.kind === 'help')
      return void (await ack({ response_type: 'ephemeral', text: boundText(helpText(known)) }));
    const d = deps;
    if (!d)
      return void (await ack({
        response_type: 'ephemeral',
        text: 'The bot is starting up; try again in a moment.',
      }));
    const c = parsed.command;
    await ack(
      c.kind === 'run'
        ? { response_type: 'ephemeral', text: `Starting ${quote(c.runbookId)} on ${quote(c.targetName)}…` }
        : undefined,
    );
    const text = await runCommand(c, { userId: command.user_id, channelId: command.channel_id }, d);
    if (text) await respond({ response_type: 'ephemeral', text: boundText(redact(text, o.secrets())) });
  });

  for (const decision of ['approve', 'reject'] as const)
    app.action(ACTIONS[decision], async ({ ack, body, action, respond }) => {
      await ack();
      const d = deps;
      if (!d || body.type !== 'block_actions') return;
      const reply = await handleDecision(decision, body, action, d);
      if (reply)
        await respond({
          response_type: 'ephemeral',
          replace_original: false,
          text: boundText(redact(reply, o.secrets())),
        });
    });

  app.error(async (e) => {
    o.log.error({ err: redact(e.message, o.secrets()) }, 'slack handler failed');
  });

  return {
    client,
    attach: (d) => {
      deps = d;
    },
    start: () => {
      // Compiled before the first burst, not during it; answered in the ack, so nothing is changed.
      void warmUp(app, http ? o.signingSecret : undefined, o.now())
        .then((acked) => o.log.info({ acked }, 'ack path warmed'))
        .catch((e: unknown) =>
          o.log.warn(
            { err: redact(e instanceof Error ? e.message : String(e), o.secrets()) },
            'warm-up failed',
          ),
        );
      const connect = async () => {
        const me = await client.auth.test();
        self = {
          ...(me.bot_id ? { botId: me.bot_id } : {}),
          ...(me.user_id ? { botUserId: me.user_id } : {}),
        };
        if (!http) await app.start();
      };
      void retryForever(connect, {
        what: o.appToken ? 'Slack (Socket Mode)' : 'Slack (auth.test)',
        log: o.log,
        stopped: () => stopped,
        describe: (e) => redact(e instanceof Error ? e.message : String(e), o.secrets()),
      }).then((reached) => {
        connected = reached;
        if (reached) waiting = undefined;
      });
    },
    waiting: () => waiting,
    stop: async () => {
      stopped = true;
      if (!http) await app.stop().catch(() => undefined);
    },
  };
}
