// The incident report in Slack: the report the incident filed (or, mid-run, one built now), uploaded
// into the incident's thread with a one-line summary. Building and keeping it is not the edge's job.
import type { IncidentReports } from '../incidents/incident-reports.js';
import type { IncidentRecord } from '../incidents/ports.js';
import { escapeMrkdwn } from './blocks.js';
import { plainStatus } from './incident-blocks.js';
import type { SlackApi } from './slack-api.js';

export class ReportDelivery {
  constructor(private readonly d: { slack: SlackApi; reports: Pick<IncidentReports, 'current'> }) {}

  async deliver(rec: IncidentRecord, channel: string, threadTs?: string): Promise<void> {
    const report = await this.d.reports.current(rec);
    const status = `${plainStatus(rec.state.status)}${report.finished ? '' : ', still running'}`;
    await this.d.slack.upload({
      channel,
      ...(threadTs ? { threadTs } : {}),
      filename: `${rec.id}.md`,
      title: `Incident report ${rec.id}`,
      content: report.markdown,
      comment: `:page_facing_up: Incident report for *${escapeMrkdwn(rec.id)}* (${status}): ${escapeMrkdwn(report.summary)}`,
    });
  }
}
