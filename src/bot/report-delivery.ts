// The incident report leaves the bot two ways: a Markdown file in REPORTS_DIR and the same file in
// the incident's thread, with a short summary message.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncidentRecord } from '../incidents/ports.js';
import { INCIDENT_ID } from '../incidents/ports.js';
import { renderMarkdown } from '../reports/markdown.js';
import type { RunbookLookup } from '../runbooks/index.js';
import { buildReport, isTerminal } from '../runbooks/index.js';
import { plainStatus } from './incident-blocks.js';
import type { SlackApi } from './slack-api.js';

export interface ReportDeliveryDeps {
  slack: SlackApi;
  runbooks: RunbookLookup;
  reportsDir: string;
  /** Values that must never appear: the targets' Redis passwords. */
  secrets: () => readonly string[];
  now: () => number;
}

/** Incident ids become file names: only the shape the store hands out is accepted. */

export class ReportDelivery {
  constructor(private readonly d: ReportDeliveryDeps) {}

  render(rec: IncidentRecord): { markdown: string; summary: string } {
    const runbook = this.d.runbooks(rec.state.runbookId);
    if (!runbook) throw new Error(`no runbook ${rec.state.runbookId} for ${rec.id}`);
    const report = buildReport(rec.state, runbook, { generatedAt: this.d.now() });
    const finished = isTerminal(rec.state);
    const summary = `:page_facing_up: Incident report for *${rec.id}* (${plainStatus(rec.state.status)}${finished ? '' : ', still running'}): ${report.summary}`;
    return { markdown: renderMarkdown(report, this.d.secrets()), summary };
  }

  pathOf(id: string): string {
    if (!INCIDENT_ID.test(id)) throw new Error(`not an incident id: ${id}`);
    return join(this.d.reportsDir, `${id}.md`);
  }

  /** Written to a temporary name and renamed, so a reader never sees half a report. */
  async write(id: string, markdown: string): Promise<string> {
    const path = this.pathOf(id);
    await mkdir(this.d.reportsDir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, markdown, 'utf8');
    await rename(tmp, path);
    return path;
  }

  /** Renders, writes (finished runs only: a mid-run report would be overwritten anyway) and posts. */
  async deliver(rec: IncidentRecord, channel: string, threadTs?: string): Promise<void> {
    const { markdown, summary } = this.render(rec);
    if (isTerminal(rec.state)) await this.write(rec.id, markdown);
    await this.d.slack.upload({
      channel,
      ...(threadTs ? { threadTs } : {}),
      filename: `${rec.id}.md`,
      title: `Incident report ${rec.id}`,
      content: markdown,
      comment: summary,
    });
  }
}
