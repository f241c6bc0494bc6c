import { createLocalSlack, type LocalSlack } from '@runbook-bot/local-slack';
import type { EdgeDeps } from '../../src/bot/command-handlers.js';
import { startHttpServer } from '../../src/bot/http-server.js';
import type { ReportDelivery } from '../../src/bot/report-delivery.js';
import { MemorySeenRequests } from '../../src/bot/seen-requests.js';
import { createSlackEdge } from '../../src/bot/slack-app.js';

// The Bolt app alone on its own HTTP server, against the local Slack, with the orchestrator replaced
// by a recorder: what the edge does with a request, and nothing behind it.
export const EDGE_SECRET = 'edge-signing-secret';
export const EDGE_TOKEN = 'xoxb-edge-test';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: object;
  msg: string;
}

export const EDGE_APP_TOKEN = 'xapp-edge-test';

export async function edgeUnderTest(o: { apiUrl?: (slack: LocalSlack) => string; socket?: boolean } = {}) {
  const slack = await createLocalSlack({
    signingSecret: EDGE_SECRET,
    botToken: EDGE_TOKEN,
    ...(o.socket ? { appToken: EDGE_APP_TOKEN, mode: 'socket' as const } : {}),
  });
  const state = { redisUp: false, started: [] as string[], logs: [] as LogLine[] };
  const at =
    (level: LogLine['level']) =>
    (fields: object, msg = '') =>
      void state.logs.push({ level, fields, msg });
  const log = { info: at('info'), warn: at('warn'), error: at('error') };
  const http = await startHttpServer({
    port: 0,
    log,
    ready: async (): Promise<Record<string, string>> => {
      const waiting: Record<string, string> = state.redisUp ? {} : { redis: 'down' };
      const s = edge.waiting();
      return s ? { ...waiting, slack: s } : waiting;
    },
  });
  const edge = createSlackEdge({
    botToken: EDGE_TOKEN,
    ...(o.socket ? { appToken: EDGE_APP_TOKEN } : { signingSecret: EDGE_SECRET }),
    apiUrl: o.apiUrl ? o.apiUrl(slack) : slack.url,
    http,
    seen: new MemorySeenRequests(),
    now: Date.now,
    known: () => ({ runbookIds: ['redis-permissions'], targetNames: ['cache'] }),
    secrets: () => [EDGE_SECRET, EDGE_TOKEN],
    log,
  });
  const deps: EdgeDeps = {
    orchestrator: {
      start: async (r) => {
        state.started.push(r.targetName);
        return { ok: true, id: `INC-000${state.started.length}` };
      },
      decide: async () => {
        throw new Error('must not be called');
      },
      cancel: async () => null,
      load: async () => null,
    },
    store: { recent: async () => [] },
    reports: {} as ReportDelivery,
    refresh: async () => undefined,
    approvers: ['U_BOB'],
    ping: async () => state.redisUp,
    log,
  };
  edge.attach(deps);
  edge.start();
  const origin = `http://127.0.0.1:${http.port}`;
  slack.botUrl = `${origin}/slack/events`;
  return {
    slack,
    edge,
    state,
    origin,
    async close() {
      await edge.stop();
      await http.close();
      await slack.close();
    },
  };
}
