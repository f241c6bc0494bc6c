import { afterEach, describe, expect, it, vi } from 'vitest';
import { IncidentReports } from '../../src/incidents/incident-reports.js';
import { LateBoundPeople, NAMES_TIMEOUT_MS } from '../../src/incidents/people.js';
import type { IncidentRecord, PeopleDirectory } from '../../src/incidents/ports.js';
import type { RunState } from '../../src/runbooks/index.js';
import { engineDriver } from '../support/engine-driver.js';
import { MemoryReportStore } from '../support/memory-report-store.js';
import { highRiskToy } from '../support/multi-approval.js';
import { result, toyTarget } from '../support/toy-runbook.js';

// The reports resolve the names of everyone in the run before building, through the people port, and
// file the report whatever the directory does: fails, throws, hangs or is not there.

const answer = (stepId: string, round: number) =>
  result(stepId === 'v' ? 'good' : stepId === 'b' && round === 1 ? 'bad' : 'fine');

/** Started by U_STAN, approved by U_ALICE and U_BOB, resolved; or still waiting for U_BOB. */
function record(o: { finished?: boolean } = {}): IncidentRecord {
  const d = engineDriver(highRiskToy(), {
    target: toyTarget,
    answer,
    startedBy: 'U_STAN',
    highRiskApprovals: 2,
  });
  d.run();
  const a = Object.values(d.state.approvals)[0];
  if (!a) throw new Error('no approval');
  d.feed({ type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U_ALICE' });
  if (o.finished !== false) {
    d.feed({ type: 'approval-decision', approvalId: a.id, decision: 'approve', by: 'U_BOB' });
    d.run();
  }
  const state: RunState = d.state;
  return { id: 'INC-0001', targetName: 'cache', state, meta: {}, version: 1 };
}

const NAMES: Record<string, string> = {
  U_STAN: 'Stan Starter',
  U_ALICE: 'Alice Oncall',
  U_BOB: 'Bob Approver',
};
const known: PeopleDirectory = { nameOf: async (id) => NAMES[id] };

function setup(people?: PeopleDirectory, namesTimeoutMs?: number) {
  const store = new MemoryReportStore();
  const warned: { obj: object; msg?: string | undefined }[] = [];
  const log = {
    info: () => undefined,
    warn: (obj: object, msg?: string) => void warned.push({ obj, msg }),
    error: () => undefined,
  };
  const reports = new IncidentReports({
    runbooks: () => highRiskToy(),
    store,
    secrets: () => [],
    now: () => Date.UTC(2026, 11, 1, 4),
    log,
    ...(people ? { people } : {}),
    ...(namesTimeoutMs === undefined ? {} : { namesTimeoutMs }),
  });
  return { reports, store, warned };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('incident reports name people', () => {
  it('names the starter and every approver in the filed report and its summary, asking once per person', async () => {
    const asked: string[] = [];
    const s = setup({
      nameOf: async (id) => {
        asked.push(id);
        return NAMES[id];
      },
    });
    const filed = await s.reports.file(record());
    expect(asked.sort()).toEqual(['U_ALICE', 'U_BOB', 'U_STAN']);
    expect(filed.markdown).toContain('- **Opened by:** Stan Starter, ');
    expect(filed.markdown).toMatch(/\*\*Approved by:\*\* Alice Oncall at [^;]+; Bob Approver at /);
    expect(filed.markdown).toContain('- Stan Starter (U_STAN): opened the incident');
    expect(filed.summary).toContain('Alice Oncall and Bob Approver approved "fix it"');
    expect(filed.title).toBe('It is broken');
    expect(s.store.reports.get('INC-0001')).toBe(filed.markdown);
    expect(s.warned).toEqual([]);
  });

  it('a report of a run still going, and the summary of a stored one, are named too', async () => {
    const s = setup(known);
    const going = await s.reports.current(record({ finished: false }));
    expect(going.finished).toBe(false);
    expect(going.markdown).toContain('it has 1 of 2 approvals (by Alice Oncall) so far');
    const rec = record();
    await s.reports.file(rec);
    expect((await s.reports.current(rec)).summary).toContain('Bob Approver approved');
  });

  it('without a directory, or one that knows nobody, the report shows bare ids as before', async () => {
    const none = await setup().reports.file(record());
    const nobody = await setup({ nameOf: async () => undefined }).reports.file(record());
    expect(none.markdown).toContain('- **Opened by:** U_STAN, ');
    expect(nobody.markdown).toBe(none.markdown);
  });

  it('a failing directory never stops the filing: ids are shown, and the log holds no message or name', async () => {
    const failing: PeopleDirectory = {
      nameOf: async (id) => {
        if (id === 'U_BOB')
          throw Object.assign(new Error('Bob Approver: xoxb-leaked'), { code: 'ratelimited' });
        return NAMES[id];
      },
    };
    const s = setup(failing);
    const filed = await s.reports.file(record());
    expect(filed.location).toBe('memory:INC-0001');
    // The others are still named; only the one that failed is bare.
    expect(filed.markdown).toContain('Alice Oncall at');
    expect(filed.markdown).toMatch(/; U_BOB at /);
    expect(s.warned).toHaveLength(1);
    expect(s.warned[0]?.obj).toEqual({ incident: 'INC-0001', unnamed: 1, of: 3, errors: ['ratelimited'] });
    expect(JSON.stringify(s.warned)).not.toMatch(/xoxb|Bob|U_BOB/);
  });

  it('a directory that throws before it returns a promise is a failure like any other', async () => {
    const s = setup({
      nameOf: () => {
        throw new TypeError('not a function');
      },
    });
    const filed = await s.reports.file(record());
    expect(filed.markdown).toContain('- **Opened by:** U_STAN, ');
    expect(s.warned[0]?.obj).toMatchObject({ unnamed: 3, of: 3, errors: ['TypeError'] });
  });

  it('a hanging directory holds the filing up for the time bound only, and what answered is used', async () => {
    const s = setup(
      { nameOf: (id) => (id === 'U_ALICE' ? new Promise(() => undefined) : known.nameOf(id)) },
      50,
    );
    const t0 = Date.now();
    const filed = await s.reports.file(record());
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(filed.markdown).toContain('- **Opened by:** Stan Starter, ');
    expect(filed.markdown).toMatch(/\*\*Approved by:\*\* U_ALICE at [^;]+; Bob Approver at /);
    expect(s.warned[0]?.obj).toEqual({ incident: 'INC-0001', unnamed: 1, of: 3, timedOutMs: 50 });
  });

  it('the default bound is 2 s, all lookups together', async () => {
    vi.useFakeTimers();
    let settled = false;
    const s = setup({ nameOf: () => new Promise(() => undefined) });
    const filing = s.reports.file(record()).then((r) => {
      settled = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(NAMES_TIMEOUT_MS - 1);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toBe(true);
    expect((await filing).markdown).toContain('- **Opened by:** U_STAN, ');
    expect(NAMES_TIMEOUT_MS).toBe(2_000);
  });

  it('an answer after the bound does not change the report that was built without it', async () => {
    let answerLate: (name: string) => void = () => undefined;
    const s = setup(
      { nameOf: (id) => (id === 'U_STAN' ? new Promise((r) => (answerLate = r)) : known.nameOf(id)) },
      20,
    );
    const filed = await s.reports.file(record());
    answerLate('Stan Starter');
    await new Promise((r) => setTimeout(r, 5));
    expect(filed.markdown).toContain('- **Opened by:** U_STAN, ');
    expect(s.store.reports.get('INC-0001')).toBe(filed.markdown);
  });
});

describe('a late-bound directory', () => {
  it('knows nobody until it is bound, then asks its target', async () => {
    const people = new LateBoundPeople();
    expect(await people.nameOf('U_BOB')).toBeUndefined();
    const s = setup(people);
    expect((await s.reports.file(record())).markdown).toContain('- **Opened by:** U_STAN, ');
    people.bind(known);
    expect(await people.nameOf('U_BOB')).toBe('Bob Approver');
    expect((await s.reports.file(record())).markdown).toContain('- **Opened by:** Stan Starter, ');
  });
});
