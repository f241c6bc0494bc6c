import { createLocalSlack, type LocalUserGroup } from '@runbook-bot/local-slack';
import { webApi } from '@slack/bolt';
import type { WhoMayApprove } from '../../src/bot/approval-card.js';
import { ReportDelivery } from '../../src/bot/report-delivery.js';
import { WebSlackApi } from '../../src/bot/slack-api.js';
import { SlackNotifier } from '../../src/bot/slack-notifier.js';
import { IncidentReports } from '../../src/incidents/incident-reports.js';
import type { RunStore } from '../../src/incidents/ports.js';
import type { Runbook } from '../../src/runbooks/index.js';
import { MemoryReportStore } from './memory-report-store.js';
import { toyRunbook } from './toy-runbook.js';

export const NOTIFIER_SECRET = 's';
export const NOTIFIER_TOKEN = 'xoxb-notifier';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The Slack notifier (the toy runbook unless told), posting to a fresh local Slack through Bolt's Web
 * API client, with the report delivery and the reports it files, as the composition root wires them.
 */
export async function slackNotifierOn(
  store: RunStore,
  o: {
    runbook?: Runbook;
    /** Every runbook by id (the catalogue's `get`), instead of one. */
    runbooks?: (id: string) => Runbook | undefined;
    approvers?: WhoMayApprove;
    userGroups?: LocalUserGroup[];
    apiLatencyMs?: number;
  } = {},
) {
  const rb = o.runbook ?? toyRunbook();
  const runbooks = o.runbooks ?? (() => rb);
  const slack = await createLocalSlack({
    signingSecret: NOTIFIER_SECRET,
    botToken: NOTIFIER_TOKEN,
    ...(o.userGroups ? { userGroups: o.userGroups } : {}),
    ...(o.apiLatencyMs ? { apiLatencyMs: o.apiLatencyMs } : {}),
  });
  const client = new webApi.WebClient(NOTIFIER_TOKEN, {
    slackApiUrl: slack.url,
    retryConfig: { retries: 0 },
  });
  const api = new WebSlackApi(client, () => []);
  const reports = new IncidentReports({
    runbooks,
    store: new MemoryReportStore(),
    secrets: () => [],
    now: () => 9,
  });
  const delivery = new ReportDelivery({ slack: api, reports });
  const notifier = new SlackNotifier({
    slack: api,
    store,
    runbooks,
    reports: delivery,
    secrets: () => [],
    log: silent,
    ...(o.approvers ? { approvers: o.approvers } : {}),
  });
  return { slack, notifier, reports, delivery };
}
