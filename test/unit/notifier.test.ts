import { createLocalSlack } from '@runbook-bot/local-slack';
import { webApi } from '@slack/bolt';
import { ReportDelivery } from '../../src/bot/report-delivery.js';
import { WebSlackApi } from '../../src/bot/slack-api.js';
import { SlackNotifier } from '../../src/bot/slack-notifier.js';
import { IncidentReports } from '../../src/incidents/incident-reports.js';
import { MemoryReportStore } from '../support/memory-report-store.js';
import { runNotifierContract } from '../support/notifier-contract.js';
import { RecordingNotifier } from '../support/recording-notifier.js';
import { toyRunbook } from '../support/toy-runbook.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const rb = toyRunbook();

runNotifierContract('RecordingNotifier', async () => {
  const notifier = new RecordingNotifier();
  return { notifier, shown: async () => [...notifier.shown], close: async () => undefined };
});

// The real Slack notifier against the local Slack: what is shown is read back from the messages the
// local Slack holds, each named by the ts the notifier recorded for it.
runNotifierContract('SlackNotifier', async (store) => {
  const slack = await createLocalSlack({ signingSecret: 's', botToken: 'xoxb-contract' });
  const client = new webApi.WebClient('xoxb-contract', {
    slackApiUrl: slack.url,
    retryConfig: { retries: 0 },
  });
  const api = new WebSlackApi(client, () => []);
  const reports = new IncidentReports({
    runbooks: () => rb,
    store: new MemoryReportStore(),
    secrets: () => [],
    now: () => 9,
  });
  const notifier = new SlackNotifier({
    slack: api,
    store,
    runbooks: () => rb,
    reports: new ReportDelivery({ slack: api, reports }),
    secrets: () => [],
    log: silent,
  });
  const shown = async () => {
    const rec = await store.load('INC-0001');
    const root = rec?.meta.rootTs;
    if (!rec || !root) return [];
    const byTs = new Map(
      Object.entries(rec.meta)
        .filter(([k]) => /^(card|findings)\./.test(k))
        .map(([k, ts]) => [ts, k.replace('.', ':')]),
    );
    const thread = slack.thread('C_INCIDENTS', root).flatMap((m) => {
      if (m.files?.some((f) => f.name === 'INC-0001.md')) return ['report'];
      const what = byTs.get(m.ts);
      return what ? [what] : [];
    });
    return [
      ...slack
        .messages('C_INCIDENTS')
        .filter((m) => m.ts === root)
        .map(() => 'root'),
      ...thread,
    ];
  };
  return { notifier, shown, close: () => slack.close() };
});
