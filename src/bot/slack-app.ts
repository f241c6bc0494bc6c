// The Bolt app: `/incident` and the approval buttons over HTTP (signed requests on POST /slack/events)
// or Socket Mode, plus /healthz and /readyz. Every handler acknowledges first, then parses, then
// delegates; Bolt verifies signatures and the 5-minute timestamp window before any handler runs.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, type Logger as BoltLogger, LogLevel, type webApi } from '@slack/bolt';
import type { Logger } from '../incidents/ports.js';
import { redact } from '../runbooks/redact.js';
import { handleDecision } from './approval-handler.js';
import { ACTIONS } from './button-value.js';
import { type EdgeDeps, runCommand } from './command-handlers.js';
import { HELP, type Known, parseIncidentCommand, quote } from './parse-command.js';

export interface SlackEdgeOptions {
  botToken: string;
  signingSecret?: string;
  /** Socket Mode when set. */
  appToken?: string;
  /** A Slack-compatible Web API (the local Slack); keeps its trailing slash. */
  apiUrl?: string;
  port: number;
  known: () => Known;
  ping(): Promise<boolean>;
  secrets: () => readonly string[];
  log: Logger;
}

export interface SlackEdge {
  readonly client: webApi.WebClient;
  /** Handlers answer "starting up" until the orchestrator is attached. */
  attach(deps: EdgeDeps): void;
  /** Listens; returns the HTTP port (health routes, and the events endpoint in HTTP mode). */
  start(): Promise<number>;
  stop(): Promise<void>;
}

function boltLogger(log: Logger, secrets: () => readonly string[]): BoltLogger {
  const text = (m: unknown[]) =>
    redact(m.map((x) => (x instanceof Error ? x.message : String(x))).join(' '), secrets());
  return {
    debug: () => undefined,
    info: (...m) => log.info({ component: 'bolt' }, text(m)),
    warn: (...m) => log.warn({ component: 'bolt' }, text(m)),
    error: (...m) => log.error({ component: 'bolt' }, text(m)),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function createSlackEdge(o: SlackEdgeOptions): SlackEdge {
  let deps: EdgeDeps | undefined;
  const customRoutes = [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_q: IncomingMessage, res: ServerResponse) => json(res, 200, { ok: true }),
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_q: IncomingMessage, res: ServerResponse) => {
        o.ping().then(
          (up) => json(res, up ? 200 : 503, { ok: up, redis: up ? 'up' : 'down' }),
          () => json(res, 503, { ok: false, redis: 'down' }),
        );
      },
    },
  ];
  // Against a local Slack a failing call must fail now, not after half an hour of retries.
  const clientOptions = o.apiUrl
    ? { slackApiUrl: o.apiUrl, retryConfig: { retries: 0 } }
    : { retryConfig: { retries: 2, factor: 2 } };
  const logger = boltLogger(o.log, o.secrets);
  const app = o.appToken
    ? new App({
        token: o.botToken,
        appToken: o.appToken,
        socketMode: true,
        customRoutes,
        installerOptions: { port: o.port },
        clientOptions,
        logger,
      })
    : new App({
        token: o.botToken,
        ...(o.signingSecret ? { signingSecret: o.signingSecret } : {}),
        customRoutes,
        clientOptions,
        logger,
      });

  app.command('/incident', async ({ ack, command, respond }) => {
    // Parsing is pure and in memory, so a mistake is answered in the acknowledgement itself.
    const parsed = parseIncidentCommand(command.text, o.known());
    if (!parsed.ok) return void (await ack({ response_type: 'ephemeral', text: parsed.message }));
    if (parsed.command.kind === 'help') return void (await ack({ response_type: 'ephemeral', text: HELP }));
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
    if (text) await respond({ response_type: 'ephemeral', text: redact(text, o.secrets()) });
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
          text: redact(reply, o.secrets()),
        });
    });

  app.error(async (e) => {
    o.log.error({ err: redact(e.message, o.secrets()) }, 'slack handler failed');
  });

  return {
    client: app.client,
    attach: (d) => {
      deps = d;
    },
    start: async () => {
      if (o.appToken) {
        await app.start();
        return o.port;
      }
      const server = (await app.start(o.port)) as Server;
      return (server.address() as AddressInfo).port;
    },
    stop: () => app.stop().then(() => undefined),
  };
}
