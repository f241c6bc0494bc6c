// The Slack edge as the composition root sees it: one call builds the Bolt app, the notifier the
// orchestrator posts through, and the report delivery; start() attaches the orchestrator and listens.

import type { IncidentReports } from '../incidents/incident-reports.js';
import type { Orchestrator } from '../incidents/orchestrator.js';
import type { Logger, RunStore, TargetDirectory } from '../incidents/ports.js';
import type { RunbookCatalogue } from '../runbooks/index.js';
import type { HttpServer } from './http-server.js';
import { ReportDelivery } from './report-delivery.js';
import type { SeenRequests } from './seen-requests.js';
import { WebSlackApi } from './slack-api.js';
import { createSlackEdge } from './slack-app.js';
import { SlackApproverDirectory } from './slack-approvers.js';
import { SlackNotifier } from './slack-notifier.js';
import { SlackPeopleDirectory } from './slack-people.js';

export { type HttpServer, type Readiness, startHttpServer } from './http-server.js';
export { parseIncidentCommand } from './parse-command.js';
export { retryForever } from './retry.js';
export { MemorySeenRequests, type SeenRequests } from './seen-requests.js';
export { SlackNotifier } from './slack-notifier.js';

/** The settings the edge needs; the root's parsed configuration satisfies this as it is. */
export interface SlackBotSettings {
  SLACK_BOT_TOKEN?: string | undefined;
  SLACK_SIGNING_SECRET?: string | undefined;
  SLACK_APP_TOKEN?: string | undefined;
  SLACK_API_URL?: string | undefined;
  APPROVERS: readonly string[];
  APPROVER_GROUPS: readonly string[];
  APPROVER_CROSS_CHANNEL?: boolean;
}

export function startSlackBot(o: {
  config: SlackBotSettings;
  store: RunStore;
  targets: TargetDirectory;
  catalogue: RunbookCatalogue;
  reports: Pick<IncidentReports, 'current'>;
  /** Values to redact wherever they would appear: the targets' Redis passwords, the signing secret. */
  secrets: readonly string[];
  ping(): Promise<boolean>;
  /** The process's HTTP server, already listening. */
  http: HttpServer;
  /** Signatures of accepted requests, against replays. */
  seen: SeenRequests;
  now: () => number;
  log: Logger;
}) {
  const c = o.config;
  if (!c.SLACK_BOT_TOKEN) throw new Error('SLACK_BOT_TOKEN is required for the Slack edge');
  const secrets = () => o.secrets;
  // Bolt's Web API client joins method names onto this URL: without the trailing slash the last path
  // segment would be dropped.
  const apiUrl = c.SLACK_API_URL && !c.SLACK_API_URL.endsWith('/') ? `${c.SLACK_API_URL}/` : c.SLACK_API_URL;
  // The catalogue and the targets file are fixed for the process's life; help lists them.
  const known = {
    runbookIds: o.catalogue.ids,
    targetNames: o.targets.names(),
    runbookTitles: Object.fromEntries(o.catalogue.runbooks.map((r) => [r.id, r.title])),
    targetKinds: Object.fromEntries(o.targets.names().map((n) => [n, o.targets.view(n)?.kind ?? ''])),
  };
  const edge = createSlackEdge({
    botToken: c.SLACK_BOT_TOKEN,
    ...(c.SLACK_SIGNING_SECRET ? { signingSecret: c.SLACK_SIGNING_SECRET } : {}),
    ...(c.SLACK_APP_TOKEN ? { appToken: c.SLACK_APP_TOKEN } : {}),
    ...(apiUrl ? { apiUrl } : {}),
    http: o.http,
    seen: o.seen,
    now: o.now,
    known: () => known,
    secrets,
    log: o.log,
  });
  const approverDirectory = new SlackApproverDirectory({
    client: edge.client,
    approvers: c.APPROVERS,
    groups: c.APPROVER_GROUPS,
    log: o.log,
  });
  const slack = new WebSlackApi(edge.client, secrets);
  const reports = new ReportDelivery({ slack, reports: o.reports });
  const notifier = new SlackNotifier({
    slack,
    store: o.store,
    runbooks: o.catalogue.get,
    reports,
    secrets,
    approvers: { users: c.APPROVERS, groups: c.APPROVER_GROUPS },
    log: o.log,
  });
  return {
    notifier,
    approverDirectory,
    /** Who user ids are (users.info), for the reports the root builds before this edge exists. */
    people: new SlackPeopleDirectory({ client: edge.client }),
    /** Why Slack is not usable yet, or undefined. */
    waiting: () => edge.waiting(),
    /** Starts connecting to Slack (in the background); commands get "starting up" until attach. */
    connect: () => edge.start(),
    attach(orchestrator: Orchestrator): void {
      edge.attach({
        orchestrator,
        store: o.store,
        reports,
        refresh: (id) => notifier.refresh(id),
        approvers: c.APPROVERS,
        approverGroups: c.APPROVER_GROUPS,
        crossChannel: c.APPROVER_CROSS_CHANNEL ?? false,
        mayApprove: (u) => orchestrator.mayApprove(u),
        ping: o.ping,
        log: o.log,
      });
    },
    stop: () => edge.stop(),
  };
}
