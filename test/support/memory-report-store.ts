import type { ReportStore } from '../../src/incidents/ports.js';

/** Reports kept in a map: for tests that need to see what an incident filed without a folder. */
export class MemoryReportStore implements ReportStore {
  readonly reports = new Map<string, string>();
  saves = 0;

  async save(id: string, markdown: string): Promise<string> {
    this.saves += 1;
    this.reports.set(id, markdown);
    return `memory:${id}`;
  }

  async load(id: string): Promise<string | undefined> {
    return this.reports.get(id);
  }
}
