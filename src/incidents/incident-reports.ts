// The incident report belongs to the incident, not to Slack: it is built and stored here when the run
// ends, whoever started it (a person in Slack, an alert, a test), and an edge only shows it.
import { renderMarkdown } from '../reports/markdown.js';
import type { RunbookLookup } from '../runbooks/index.js';
import { buildReport, isTerminal, peopleIn } from '../runbooks/index.js';
import { NAMES_TIMEOUT_MS, resolveNames } from './people.js';
import type { IncidentRecord, Logger, PeopleDirectory, ReportStore } from './ports.js';

export interface IncidentReport {
  markdown: string;
  /** What was found, in a few words: the root cause, "No fault found on x", "Could not diagnose x". */
  title: string;
  /** Two or three sentences: what broke and why, what was done, how it ended. */
  summary: string;
  /** False for a report of a run still going: it is not stored, since the final one replaces it. */
  finished: boolean;
}

export class IncidentReports {
  constructor(
    private readonly d: {
      runbooks: RunbookLookup;
      store: ReportStore;
      /** Values that must never appear: the targets' Redis passwords, the signing secret. */
      secrets: () => readonly string[];
      now: () => number;
      /** Who the user ids are; without it, reports show bare ids. */
      people?: PeopleDirectory;
      /** The most the names may hold a report up, all lookups together (default 2 s). */
      namesTimeoutMs?: number;
      log?: Logger;
    },
  ) {}

  private async build(rec: IncidentRecord) {
    const runbook = this.d.runbooks(rec.state.runbookId);
    if (!runbook) throw new Error(`no runbook ${rec.state.runbookId} for ${rec.id}`);
    const people = await resolveNames(peopleIn(rec.state), this.d.people, {
      timeoutMs: this.d.namesTimeoutMs ?? NAMES_TIMEOUT_MS,
      incident: rec.id,
      log: this.d.log,
    });
    return buildReport(rec.state, runbook, { generatedAt: this.d.now(), people });
  }

  private async render(rec: IncidentRecord): Promise<IncidentReport> {
    const report = await this.build(rec);
    return {
      markdown: renderMarkdown(report, this.d.secrets()),
      title: report.title,
      summary: report.summary,
      finished: isTerminal(rec.state),
    };
  }

  /** Builds and stores the report of a run that has ended; the same run filed twice stores it again. */
  async file(rec: IncidentRecord): Promise<IncidentReport & { location: string }> {
    if (!isTerminal(rec.state)) throw new Error(`${rec.id} has not ended: its report is not final`);
    const r = await this.render(rec);
    return { ...r, location: await this.d.store.save(rec.id, r.markdown) };
  }

  /** The report to show now: the stored one of a finished run (filed now if it is missing), or a fresh one. */
  async current(rec: IncidentRecord): Promise<IncidentReport> {
    if (!isTerminal(rec.state)) return this.render(rec);
    const stored = await this.d.store.load(rec.id);
    if (stored === undefined) return this.file(rec);
    // The filed Markdown is what is shown; only its title and summary are derived again, not rendered.
    const report = await this.build(rec);
    return { markdown: stored, title: report.title, summary: report.summary, finished: true };
  }
}
