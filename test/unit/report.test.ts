import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { codeSpan, fencedBlock, tableCell } from '../../src/reports/markdown-text.js';
import type { EngineEvent, ExecResult, Runbook, RunState } from '../../src/runbooks/index.js';
import { advance, runStateSchema } from '../../src/runbooks/index.js';
import { builtinRunbook } from '../../src/runbooks/library/index.js';
import { buildReport, formatDuration, humanUtc, utcIso } from '../../src/runbooks/report.js';
import { undoPlace, undoWithValues } from '../../src/runbooks/report-parts.js';
import { engineDriver } from '../support/engine-driver.js';
import { loadRehearsal, replayRehearsal } from '../support/rehearsal-fixture.js';
import { result, toyRunbook, toyTarget } from '../support/toy-runbook.js';

// Run states recorded from the real lab (test/scripts/record-runs.ts) and states driven through the engine
// here, rendered to Markdown. The snapshots are the reports people will read.

const FIXTURES = join(import.meta.dirname, '../fixtures');

function recorded(name: string): { state: RunState; runbook: Runbook } {
  const state = runStateSchema.parse(JSON.parse(readFileSync(join(FIXTURES, 'runs', name), 'utf8')));
  const runbook = builtinRunbook(state.runbookId);
  if (!runbook) throw new Error(state.runbookId);
  return { state, runbook };
}

const markdownOf = (name: string, secrets: string[] = [], people?: Record<string, string>) => {
  const { state, runbook } = recorded(name);
  return renderMarkdown(buildReport(state, runbook, people ? { people } : {}), secrets);
};

/** The recorded runs (test/scripts/record-runs.ts) with a snapshot of their report. */
const RECORDED = [
  'rdb-permission.resolved',
  'auth-refused.escalated',
  'rdb-permission.rejected',
  'client-no-cli.inconclusive',
] as const;
const NAMES = { U_ONCALL: 'Alice Oncall', U_APPROVER: 'Bob Approver', U_REVIEWER: 'Rita Reviewer' };
const CHOWN = 'docker exec -u root rbb-000000-redis chown -R -H 999:999 /data';

/** A Markdown document split the way CommonMark closes fenced code blocks: their contents, and the rest. */
function scan(md: string): { blocks: string[]; prose: string } {
  const blocks: string[] = [];
  const prose: string[] = [];
  let open: { fence: string; lines: string[] } | undefined;
  for (const line of md.split('\n')) {
    if (!open) {
      const m = /^ {0,3}(`{3,})[^`]*$/.exec(line);
      if (m?.[1]) open = { fence: m[1], lines: [] };
      else prose.push(line);
      continue;
    }
    const close = /^ {0,3}(`{3,})\s*$/.exec(line);
    if (close?.[1] && close[1].length >= open.fence.length) {
      blocks.push(open.lines.join('\n'));
      open = undefined;
    } else open.lines.push(line);
  }
  expect(open, 'every fenced block is closed').toBeUndefined();
  return { blocks, prose: prose.join('\n') };
}

const fencedBlocks = (md: string) => scan(md).blocks;

/** The rows of the table whose header line is `header`, each split into cells on unescaped pipes. */
function tableRows(md: string, header: string): string[][] {
  const lines = md.split('\n');
  const start = lines.indexOf(header);
  expect(start, `table ${header}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start)) {
    if (line.trim() === '') break;
    rows.push(line.split(/(?<!\\)\|/).slice(1, -1));
  }
  return rows;
}

type Answer = ExecResult[] | { notRun: string } | { interrupted: string };

/** Drives the toy run through the shared engine driver, answering each step and repair from `answer`. */
function drive(
  rb: Runbook,
  answer: (stepKey: string, actions: number) => Answer,
  events: EngineEvent[] = [],
) {
  const d = engineDriver(rb, {
    target: toyTarget,
    runId: 'INC-T',
    startedBy: 'U_ONCALL',
    approvalTtlMs: 60_000,
    at: Date.UTC(2026, 1, 12, 9, 0, 0),
    answer: (_id, _round, key) => {
      const got = answer(key, 1);
      return Array.isArray(got) ? got[0] : undefined;
    },
    repair: ({ stepKey, attempt, actions }) => {
      const got = answer(stepKey, actions.length);
      return Array.isArray(got)
        ? { type: 'step-result', stepKey, attempt, results: got }
        : 'notRun' in got
          ? { type: 'step-result', stepKey, attempt, results: [], notRun: got.notRun }
          : { type: 'repair-interrupted', stepKey, attempt, reason: got.interrupted };
    },
  }).run();
  for (const e of events) {
    d.feed(e);
    d.run();
  }
  return d.state;
}

/** A replay of recorded diagnosis outputs (test/fixtures/rehearsals) up to where the run waits. */
const rehearsal = (name: string): RunState => replayRehearsal(loadRehearsal(name)).state;

describe('incident report: recorded lab runs', () => {
  // One snapshot per way a real run ends that people most often read: the full Markdown.
  for (const name of RECORDED)
    it(`${name}: the full report`, async () => {
      await expect(markdownOf(`report.${name}.json`, [], NAMES)).toMatchFileSnapshot(
        `__snapshots__/report.${name}.md`,
      );
    });

  it('the resolved report names the root cause, its evidence, the approver, the exact command and the checks', () => {
    const { state, runbook } = recorded('report.rdb-permission.resolved.json');
    const report = buildReport(state, runbook);
    expect(report.header).toMatchObject({
      incidentId: 'INC-0001',
      status: 'resolved',
      startedBy: 'U_ONCALL',
      startedAt: '2026-02-12T07:00:00.000Z',
      finished: true,
    });
    expect(report.title).toBe('The data directory is owned by another user than the one Redis runs as');
    expect(report.rootCause?.title).toBe(report.title);
    const evidence = report.rootCause?.evidence.flatMap((f) => f.evidence) ?? [];
    expect(evidence).toContain('redis runs as 999:999');
    expect(evidence.some((l) => /Failed opening the temp RDB file .* Permission denied/.test(l))).toBe(true);
    expect(evidence).toContain('rdb_last_bgsave_status:err');
    expect(report.rootCause?.evidence[0]?.code).toBe('owner-mismatch');
    // The second look read the same log lines again: each is evidence once.
    const keys = report.rootCause?.evidence.map((f) => JSON.stringify([f.statement, f.evidence])) ?? [];
    expect(new Set(keys).size).toBe(keys.length);

    const [repair] = report.resolution;
    expect(repair?.approvedBy?.by).toBe('U_APPROVER');
    expect(repair?.actions).toMatchObject([{ command: CHOWN, exitCode: 0, outcome: 'succeeded' }]);
    expect(report.changes).toMatchObject([
      {
        commands: [CHOWN],
        complete: true,
        undo: 'chown -R 1001:1001 /data (the owner it had before)',
        undoWhere: 'in container rbb-000000-redis, as root',
      },
    ]);
    expect(report.verification.map((v) => v.passed)).toEqual([true, true, true]);
    expect(report.notDone).toEqual([]);
    expect(report.next).toEqual([]);
    expect(report.timeline).toHaveLength(state.timeline.length);

    const md = renderMarkdown(report);
    expect(md).toContain('**The data directory is owned by another user than the one Redis runs as**');
    expect(md).toMatch(/\*\*Approved by:\*\* U_APPROVER at 2026-02-12 07:00:\d\d UTC/);
    expect(fencedBlocks(md)).toContain(CHOWN);
    expect(md).toContain('- [x] **rdb_last_bgsave_status is ok**: The background save succeeded');
    expect(md).toContain('**Undo** (in container rbb-000000-redis, as root): chown -R 1001:1001 /data');
    expect(md).toContain('- **Status:** ✅ Resolved');
    expect(md).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
  });

  it('impact: what clients saw and since when, from the first error line of the log', () => {
    const { state, runbook } = recorded('report.rdb-permission.resolved.json');
    const report = buildReport(state, runbook);
    expect(report.impact.effects.map((e) => e.text)).toEqual([
      'Writes were refused with MISCONF: Redis stops accepting writes while it cannot save to disk',
      'Changes were not saved to disk: anything written since the last successful save would be lost if Redis restarted',
    ]);
    expect(report.impact.effects[0]?.evidence).toMatch(/^MISCONF Redis is configured to save RDB snapshots/);
    expect(report.impact.since).toMatchObject({
      at: '2026-02-12T06:58:01.034Z',
      source: 'the first failure in the Redis log',
      evidence: expect.stringMatching(/Failed opening the temp RDB file .* Permission denied$/),
    });
    // The recording zeroes rdb_last_save_time: no evidence of a last good save, so none is claimed.
    expect(report.impact.lastSave).toBeUndefined();
    // Nothing of the sort in a run whose target showed no failure with a time.
    const cnc = recorded('report.client-no-cli.inconclusive.json');
    const none = buildReport(cnc.state, cnc.runbook);
    expect(none.impact).toEqual({ effects: [] });
    const md = renderMarkdown(none);
    expect(md).toContain('- What the clients saw: not known from the evidence.');
    expect(md).toContain('- **Since:** not known: the evidence dates no failure.');
  });

  it('the clock: onset from the log, detection by hand, and each duration right', () => {
    const { state, runbook } = recorded('report.rdb-permission.resolved.json');
    const report = buildReport(state, runbook);
    const at = (m: string) => report.clock.milestones.find((x) => x.milestone === m)?.ms;
    const onset = Date.UTC(2026, 1, 12, 6, 58, 1, 34);
    expect(at('onset')).toBe(onset);
    expect(at('opened')).toBe(state.startedAt);
    expect(report.clock.milestones.map((m) => m.milestone)).toEqual([
      'onset',
      'opened',
      'first-finding',
      'root-cause',
      'approval-asked',
      'approved',
      'repaired',
      'verified',
      'ended',
    ]);
    const approval = Object.values(state.approvals)[0];
    const repair = state.steps['chown-running'];
    const expected = {
      'Time to detect': state.startedAt - onset,
      'Time to root cause': (at('root-cause') ?? 0) - state.startedAt,
      'Time to approve': (approval?.decidedAt ?? 0) - (approval?.requestedAt ?? 0),
      'Time to repair': (repair?.finishedAt ?? 0) - (approval?.decidedAt ?? 0),
      'Time to verify': (at('verified') ?? 0) - (repair?.finishedAt ?? 0),
      'Time to resolve': (state.endedAt ?? 0) - onset,
    };
    expect(Object.fromEntries(report.clock.durations.map((d) => [d.name, d.ms]))).toEqual(expected);
    expect(report.clock.durations.map((d) => `${d.name}: ${d.text}`)).toEqual([
      'Time to detect: 1 min 59 s',
      'Time to root cause: 10 s',
      'Time to approve: 1 s',
      'Time to repair: 1 s',
      'Time to verify: 9 s',
      'Time to resolve: 2 min 30 s',
    ]);
    expect(report.clock.milestones.at(-1)?.elapsed).toBe('2 min 30 s');
    const md = renderMarkdown(report);
    expect(md).toContain('- **Time to detect:** 1 min 59 s (onset to incident opened)');
    expect(md).toContain('| Onset (first failure in the evidence) | 06:58:01 UTC | 0 s |');
    const rows = tableRows(md, '| Milestone | Time | After the first |');
    expect(rows).toHaveLength(2 + report.clock.milestones.length);
    for (const row of rows) expect(row).toHaveLength(3);
  });

  it('the last successful save is told only when Redis reported one before the incident', () => {
    const { state, runbook } = recorded('report.rdb-permission.resolved.json');
    const s = structuredClone(state);
    const f = s.steps['info-persistence']?.findings.find((x) => x.code === 'bgsave-failing');
    if (!f) throw new Error('fixture changed');
    const saved = Date.UTC(2026, 1, 12, 6, 30, 0) / 1000;
    f.evidence = f.evidence.map((l) => l.replace('rdb_last_save_time:0', `rdb_last_save_time:${saved}`));
    const report = buildReport(s, runbook);
    expect(report.impact.lastSave).toEqual({
      at: '2026-02-12T06:30:00.000Z',
      evidence: `rdb_last_save_time:${saved}`,
    });
    expect(renderMarkdown(report)).toContain(
      `- **Last successful save:** 2026-02-12 06:30:00 UTC (\`rdb_last_save_time:${saved}\`).`,
    );
    // A save time after the incident opened is no evidence of when the data was last safe.
    f.evidence = f.evidence.map((l) => l.replace(String(saved), String(state.startedAt / 1000 + 5)));
    expect(buildReport(s, runbook).impact.lastSave).toBeUndefined();
  });

  it('the undo names the values the repair acted on, and where to run it', () => {
    const target = recorded('report.rdb-permission.resolved.json').state.target;
    const connect = [
      { kind: 'network-connect' as const, place: { at: 'redis' as const }, network: 'app-net' },
    ];
    expect(undoWithValues('docker network disconnect <network> <redis container>', connect, target)).toBe(
      'docker network disconnect app-net rbb-000000-redis',
    );
    expect(undoPlace('docker network disconnect app-net rbb-000000-redis', connect, target)).toBe(
      'on the Docker host',
    );
    const chown = [
      {
        kind: 'exec' as const,
        place: { at: 'redis' as const },
        argv: ['chown', '-R', '999:999', '/data'],
        user: 'root',
      },
    ];
    expect(undoPlace('chown -R 1001:1001 /data', chown, target)).toBe(
      'in container rbb-000000-redis, as root',
    );
    const ssh = {
      ...target,
      kind: 'ssh' as const,
      redis: { ...target.redis, container: undefined, sshHost: 'db1' },
    };
    expect(undoPlace('chown -R 1001:1001 /var/lib/redis', chown, ssh)).toBe(
      'on host db1 (over SSH), as root',
    );
  });

  it('a log whose clock is ahead of the bot is not an onset', () => {
    const { state, runbook } = recorded('report.rdb-permission.resolved.json');
    const s = structuredClone(state);
    for (const r of Object.values(s.steps))
      for (const f of r.findings)
        f.evidence = f.evidence.map((l) => l.replace('12 Feb 2026 06:58', '12 Feb 2026 09:58'));
    const report = buildReport(s, runbook);
    expect(report.impact.since).toBeUndefined();
    expect(report.impact.sinceNote).toMatch(/dated 09:58:01 UTC, after the bot read it/);
    expect(report.clock.milestones.map((m) => m.milestone)).not.toContain('onset');
    expect(report.story.some((l) => l.text.startsWith('First failure in the Redis log'))).toBe(false);
  });

  it('the timeline is a dozen milestones or fewer, in time order; the event log is whole in the appendix', () => {
    for (const name of RECORDED) {
      const { state, runbook } = recorded(`report.${name}.json`);
      const report = buildReport(state, runbook, { people: NAMES });
      expect(report.story.length, name).toBeGreaterThanOrEqual(3);
      expect(report.story.length, name).toBeLessThanOrEqual(12);
      expect(report.story.map((l) => l.ms)).toEqual([...report.story.map((l) => l.ms)].sort((a, b) => a - b));
      const md = renderMarkdown(report);
      const log = md.slice(md.indexOf('## Appendix: event log'));
      expect(log.split('\n').filter((l) => /^- \d\d:\d\d:\d\d UTC /.test(l))).toHaveLength(
        state.timeline.length,
      );
    }
    const { state, runbook } = recorded('report.rdb-permission.resolved.json');
    expect(buildReport(state, runbook, { people: NAMES }).story.map((l) => l.text)).toEqual([
      'First failure in the Redis log: "Failed opening the temp RDB file temp-42.rdb (in server root dir /data) for saving: Permission denied"',
      'Alice Oncall opened the incident: runbook redis-permissions on rbb-000000-rdb-permission',
      'First problem found: Redis cannot write its RDB snapshot in /data: Permission denied',
      'Root cause found: The data directory is owned by another user than the one Redis runs as',
      'Approval requested for "Give the data directory to the Redis user (exec as root in the running container)" (risk low)',
      'Bob Approver approved "Give the data directory to the Redis user (exec as root in the running container)"',
      'Repair "Give the data directory to the Redis user (exec as root in the running container)" succeeded',
      'Verification passed (3 of 3 checks)',
      'The whole diagnosis ran again on the target as it is after the repair',
      'Incident ended, resolved: Redis persists again: BGSAVE succeeds and writes are accepted.',
    ]);
  });

  it('the summary is two or three sentences: what broke and why, what was done, how it ended', () => {
    for (const name of RECORDED) {
      const { state, runbook } = recorded(`report.${name}.json`);
      const { summary } = buildReport(state, runbook, { people: NAMES });
      const sentences = summary.split(/(?<=[.!?])\s+(?=[A-Z])/);
      expect(sentences.length, `${name}: ${summary}`).toBeGreaterThanOrEqual(2);
      expect(sentences.length, `${name}: ${summary}`).toBeLessThanOrEqual(3);
    }
    const { state, runbook } = recorded('report.rdb-permission.resolved.json');
    const { summary } = buildReport(state, runbook, { people: NAMES });
    expect(summary).toMatch(
      /^On rbb-000000-rdb-permission \(container rbb-000000-redis\), writes were refused with MISCONF from 2026-02-12 06:58:01 UTC, because the data directory is owned by another user/,
    );
    expect(summary).toContain('Bob Approver approved "Give the data directory');
    expect(summary).toMatch(
      /It ended after 31 s as resolved \(redis persists again|It ended after 31 s as resolved \(Redis persists again/,
    );
  });

  it('nothing user-facing cites internal documents, uses HTML, or shows an id where a name is known', () => {
    for (const name of RECORDED) {
      const md = markdownOf(`report.${name}.json`, [], NAMES);
      const { prose } = scan(md);
      expect(md, name).not.toMatch(/seed/i);
      expect(prose, name).not.toMatch(/<br|<\/?[a-z]+[ >]/i);
      // The ids appear once each, in the list of people, as its key to Slack.
      const people = md.slice(md.indexOf('## People'), md.indexOf('## Appendix'));
      for (const id of Object.keys(NAMES)) {
        const outside = md.replace(people, '');
        expect(outside, `${name}: ${id}`).not.toContain(id);
      }
      // Every time is UTC and says so; no ISO timestamps, no local times.
      expect(md).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
      for (const t of md.match(/\b\d\d:\d\d:\d\d\b(?! UTC)(?!\.\d)/g) ?? [])
        expect.fail(`time without UTC: ${t}`);
      // A checklist item is never a numbered list (a console rendered item 10 as "1.").
      expect(prose).not.toMatch(/^\d+\. /m);
    }
  });

  it('the rejected, escalated and could-not-diagnose reports say what was not done and what to look at next', () => {
    const escalated = markdownOf('report.auth-refused.escalated.json');
    expect(escalated).toContain('**Redis refuses the credentials**');
    expect(escalated).toContain('AUTH failed: WRONGPASS');
    expect(escalated).toContain('No verification ran: no repair was run.');
    expect(escalated).toContain('Nothing was changed on rbb-000000-auth-refused.');
    expect(escalated).toMatch(/## What was not done\n\n- No repair was proposed/);
    expect(escalated).toContain('- [ ] Fix by hand: Redis refuses the credentials.');

    const { state, runbook } = recorded('report.rdb-permission.rejected.json');
    const report = buildReport(state, runbook);
    expect(report.resolution).toEqual([]);
    expect(report.changes).toEqual([]);
    expect(report.notDone[0]).toMatch(
      /^The repair "Give the data directory .*" was not run: the approval was rejected by U_REVIEWER at 2026-02-12 07:00:\d\d UTC\.$/,
    );
    expect(report.summary).toContain('rejected by U_REVIEWER');
    expect(report.next[0]).toBe(
      'The fault is most likely still there: the data directory is owned by another user than the one Redis runs as. Fix it by hand, or start the incident again.',
    );
    expect(fencedBlocks(renderMarkdown(report))).toContain(CHOWN);

    const cnc = recorded('report.client-no-cli.inconclusive.json');
    const inconclusive = buildReport(cnc.state, cnc.runbook);
    expect(inconclusive.title).toBe('Could not diagnose rbb-000000-client-no-cli');
    expect(inconclusive.rootCause).toBeUndefined();
    expect(inconclusive.next[0]).toMatch(
      /^Check by hand PING from the client \(app\): the command is not installed there/,
    );
    expect(inconclusive.followUps).toContain(
      'Then start the incident again: nothing was concluded, not even that the target is healthy.',
    );
    const md = renderMarkdown(inconclusive);
    expect(md).toContain('Not known: the checks a conclusion needs could not all be read.');
    // It never claims health it did not read.
    expect(md).not.toMatch(/No fault found|read healthy|found nothing wrong/);
  });

  it('recommendations come from the runbook for each cause found, and detection from the clock', () => {
    const { state, runbook } = recorded('report.rdb-permission.resolved.json');
    const report = buildReport(state, runbook, { people: NAMES });
    const cause = runbook.causes['owner-mismatch'];
    expect(report.recommendations[0]).toEqual({
      about: cause?.title,
      because: expect.stringMatching(/^\/data .* is owned by 1001:1001, but Redis runs as 999:999/),
      items: cause?.prevention,
    });
    expect(report.recommendations[1]).toMatchObject({
      about: 'Detection',
      because:
        'No alert opened this incident: the evidence dates the first failure at 2026-02-12 06:58:01 UTC, 1 min 59 s before Alice Oncall opened it by hand.',
    });
    // Another cause, another list: nothing generic carried from one to the other.
    const esc = recorded('report.auth-refused.escalated.json');
    const other = buildReport(esc.state, esc.runbook).recommendations;
    expect(other[0]?.items).toEqual(esc.runbook.causes['auth-refused']?.prevention);
    expect(other[0]?.items.some((x) => cause?.prevention.includes(x))).toBe(false);
    const md = renderMarkdown(report);
    const follow = md.slice(md.indexOf('## Follow-ups'), md.indexOf('## People'));
    expect(
      follow
        .split('\n')
        .filter((l) => l.startsWith('- '))
        .every((l) => l.startsWith('- [ ] ')),
    ).toBe(true);
  });
});

describe('incident report: every way a run can end', () => {
  it('expired: the repair was not run because nobody decided', () => {
    const waiting = rehearsal('rdb-permission.redis-permissions.json');
    const id = Object.keys(waiting.approvals)[0] ?? '';
    const state = advance(
      waiting,
      { type: 'approval-expired', approvalId: id },
      waiting.approvals[id]?.expiresAt ?? 0,
      builtinRunbook,
    ).state;
    const report = buildReport(state, builtinRunbook(state.runbookId) as Runbook);
    expect(report.header.status).toBe('expired');
    expect(report.notDone[0]).toMatch(
      /was not run: nobody decided before the approval expired at 2026-12-01 03:/,
    );
    expect(renderMarkdown(report)).toContain('⌛ Approval expired: not repaired');
  });

  it('cancelled while waiting: the approval was withdrawn', () => {
    const waiting = rehearsal('rdb-permission.redis-permissions.json');
    const state = advance(
      waiting,
      { type: 'cancel', by: 'U_LEAD', reason: 'doing it by hand' },
      50_000,
      builtinRunbook,
    ).state;
    const report = buildReport(state, builtinRunbook(state.runbookId) as Runbook, {
      people: { U_LEAD: 'Lee' },
    });
    expect(report.notDone).toContain(
      'The repair "Give the data directory to the Redis user (exec as root in the running container)" was not run: its approval was withdrawn when the run was cancelled by Lee.',
    );
    expect(report.timeline.at(-2)).toMatchObject({
      kind: 'cancelled',
      by: 'Lee',
      text: 'Cancelled by Lee: doing it by hand',
    });
  });

  it('no fault: says what was checked and that nothing was proposed', () => {
    const state = rehearsal('healthy.redis-permissions.json');
    const report = buildReport(state, builtinRunbook(state.runbookId) as Runbook);
    expect(report.header.status).toBe('no-fault');
    expect(report.rootCause).toBeUndefined();
    expect(report.checked.filter((c) => c.status === 'done').length).toBeGreaterThan(5);
    expect(report.notDone[0]).toBe('No repair was proposed: nothing was found wrong.');
    const md = renderMarkdown(report);
    expect(md).toContain('No root cause was identified.');
    expect(md).toContain('- **Status:** ✅ No fault found');
    expect(md).toContain('## Appendix: what was checked');
    expect(report.title).toMatch(/^No fault found on /);
    expect(report.recommendations).toEqual([]);
  });

  it('handed over: names the runbook it went to', () => {
    const state = rehearsal('rdb-permission.redis-connectivity.json');
    const report = buildReport(state, builtinRunbook(state.runbookId) as Runbook);
    expect(report.handover).toBe('redis-permissions');
    expect(report.notDone[0]).toBe('No repair was proposed: the run was handed over to redis-permissions.');
  });

  it('a repair that fails part-way: the change is partial and the rest is marked not run', () => {
    const rb = toyRunbook();
    const state = drive(
      rb,
      (key, n) =>
        key === 'fix'
          ? [result('chowned'), result('chmod: Operation not permitted', 1)].slice(0, n)
          : [result(key === 'a' ? 'bad' : 'fine')],
      [
        {
          type: 'approval-decision',
          approvalId: 'INC-T-approve-fix-1',
          decision: 'approve',
          by: 'U_APPROVER',
        },
      ],
    );
    expect(state.status).toBe('escalated');
    const report = buildReport(state, rb);
    expect(report.resolution[0]?.status).toBe('failed');
    expect(report.changes).toMatchObject([{ commands: ['docker exec qpp-redis fix one'], complete: false }]);
    expect(report.notDone).toContain('The repair "fix it" failed (at: docker exec qpp-redis fix two).');
    const md = renderMarkdown(report);
    expect(md).toContain('**Result:** ❌ exit code 1');
    expect(md).toContain('(partly: it failed before its last command)');
  });

  it('a repair interrupted mid-way: nobody knows what it changed, and the report says so', () => {
    const rb = toyRunbook();
    const state = drive(
      rb,
      (key) =>
        key === 'fix' ? { interrupted: 'the worker stopped' } : [result(key === 'a' ? 'bad' : 'fine')],
      [
        {
          type: 'approval-decision',
          approvalId: 'INC-T-approve-fix-1',
          decision: 'approve',
          by: 'U_APPROVER',
        },
      ],
    );
    expect(state.status).toBe('interrupted');
    const report = buildReport(state, rb);
    expect(report.resolution[0]).toMatchObject({
      status: 'interrupted',
      note: 'the worker stopped',
    });
    expect(report.resolution[0]?.actions.map((a) => a.outcome)).toEqual(['unknown', 'unknown']);
    expect(report.changes).toMatchObject([
      { commands: [], uncertain: ['docker exec qpp-redis fix one', 'docker exec qpp-redis fix two'] },
    ]);
    expect(report.notDone).toContain(
      'The repair "fix it" was interrupted (the worker stopped): it may have changed cache in part or in full. Check the target by hand before running it again.',
    );
    const md = renderMarkdown(report);
    expect(md).toContain('- **Status:** ⚠️ Repair interrupted');
    expect(md).toContain('(⚠️ may have run: no result was recorded)');
    expect(md).not.toContain('Nothing was changed');
  });

  it('an approved repair whose precondition no longer held: not run, and nothing changed', () => {
    const rb = toyRunbook();
    const state = drive(
      rb,
      (key) => (key === 'fix' ? { notRun: 'the fault is gone' } : [result(key === 'a' ? 'bad' : 'fine')]),
      [
        {
          type: 'approval-decision',
          approvalId: 'INC-T-approve-fix-1',
          decision: 'approve',
          by: 'U_APPROVER',
        },
      ],
    );
    const report = buildReport(state, rb);
    expect(report.resolution[0]?.actions.map((a) => a.outcome)).toEqual(['not-run', 'not-run']);
    expect(report.changes).toEqual([]);
    expect(report.notDone).toEqual([
      'The repair "fix it" was approved but not run (the fault is gone).',
      'No command that changes anything was run on cache.',
    ]);
    expect(renderMarkdown(report)).toContain('Nothing was changed on cache.');
  });

  it('a report mid-run says the run is still going', () => {
    const waiting = rehearsal('rdb-permission.redis-permissions.json');
    const report = buildReport(waiting, builtinRunbook(waiting.runbookId) as Runbook);
    expect(report.header.finished).toBe(false);
    expect(report.notDone[0]).toMatch(/has not run: its approval is still waiting for a decision/);
    expect(renderMarkdown(report)).toContain('- **Ended:** not yet, the run is still going');
  });
});

describe('incident report: Markdown safety', () => {
  const nasty = 'ok | done\n```\n`x` ```` y\n<script>alert(1)</script>\n**bold** [a](http://e.example) $x$';

  function stateWithNastyOutput(): RunState {
    const { state } = recorded('report.rdb-permission.resolved.json');
    const s = structuredClone(state);
    const repair = s.steps['chown-running'];
    const check = s.steps['verify-write'];
    if (!repair?.results[0] || !check?.check) throw new Error('fixture changed');
    repair.commands = ['echo `id` | tee /tmp/x'];
    repair.results[0] = { ...repair.results[0], stdout: nasty, stderr: 'a|b\n```' };
    check.check = { passed: false, statement: 'SET → a | b', evidence: [nasty, 'c|d'] };
    s.timeline.push({ at: s.updatedAt, kind: 'finding', text: `x | y\n| z | w |\n\`\`\`\n${nasty}` });
    return s;
  }

  it('a backtick, pipe or newline in output cannot break a list item or a code block', () => {
    const s = stateWithNastyOutput();
    const md = renderMarkdown(buildReport(s, builtinRunbook(s.runbookId) as Runbook));
    const section = (h: string) => md.slice(md.indexOf(h), md.indexOf('\n## ', md.indexOf(h) + 1));

    // One line per check, however many lines its evidence has.
    const checks = section('## Verification checklist')
      .split('\n')
      .filter((l) => l.startsWith('- ['));
    expect(checks).toHaveLength(3 + 1);
    expect(checks.find((l) => l.includes('A write is accepted'))).toMatch(
      /^- \[ \] ❌ \*\*A write is accepted/,
    );
    const log = section('## Appendix: event log')
      .split('\n')
      .filter((l) => l.startsWith('- '));
    expect(log).toHaveLength(s.timeline.length);

    const blocks = fencedBlocks(md);
    expect(blocks).toContain(nasty);
    expect(blocks).toContain('a|b\n```');
    expect(blocks).toContain('echo `id` | tee /tmp/x');
    const { prose } = scan(md);
    expect(prose).not.toContain('<script>');
    expect(prose).toContain('&lt;script>alert(1)&lt;/script>');
    expect(prose).not.toMatch(/[^\\]\*\*bold/);
    expect(prose).not.toContain('<br>');
  });

  it('escaping helpers', () => {
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
    expect(codeSpan('a\nb')).toBe('`a b`');
    expect(fencedBlock('x ``` y\n````', 'text')).toBe('`````text\nx ``` y\n````\n`````');
    expect(fencedBlock('plain')).toBe('```\nplain\n```');
    expect(tableCell('a|b\nc')).toBe('a\\|b<br>c');
    expect(tableCell('<b>_x_ *y* [l](u)')).toBe('&lt;b>\\_x\\_ \\*y\\* [l\\](u)');
    expect(tableCell('rdb_last_bgsave_status:ok')).toBe('rdb_last_bgsave_status:ok');
  });

  it('no password reaches the Markdown: -a in a process list, a redis:// URL, a known secret', () => {
    const { state } = recorded('report.rdb-permission.resolved.json');
    const s = structuredClone(state);
    const known = 'Kn0wn-s3cret_value';
    const logs = s.steps.logs;
    const repair = s.steps['chown-running'];
    const check = s.steps['verify-write'];
    const finding = logs?.findings[0];
    if (!finding || !repair?.results[0] || !check?.check) throw new Error('fixture changed');
    finding.evidence.push(
      '1:M 12 Feb 2026 06:58:02.000 # MASTER redis://:url-s3cret@primary:6379 unreachable',
    );
    finding.statement = `Cannot persist (pw ${known})`;
    repair.results[0] = {
      ...repair.results[0],
      stdout: [
        'USER PID COMMAND',
        'redis 42 redis-cli -h 127.0.0.1 -a ps-s3cret monitor',
        'redis 1 redis-server *:6379 --requirepass req-s3cret',
        `env REDIS_PASSWORD=${known}`,
      ].join('\n'),
      stderr: `Warning: Using a password with '-a' is not safe: ${known}`,
    };
    check.check = { ...check.check, evidence: [`AUTH ${known}`, `redis://app:${known}@cache:6379/0`] };
    s.timeline.push({ at: s.updatedAt, kind: 'finding', text: `[info] secret ${known} seen`, by: known });

    const report = buildReport(s, builtinRunbook(s.runbookId) as Runbook, { startedBy: `me ${known}` });
    const md = renderMarkdown(report, [known]);
    for (const secret of ['url-s3cret', 'ps-s3cret', 'req-s3cret', known, 'Kn0wn', 's3cret']) {
      expect(md).not.toContain(secret);
    }
    expect(md).toContain('redis://:[REDACTED]@primary:6379');
    expect(md).toContain('-a [REDACTED] monitor');
  });
});

describe('report time', () => {
  it('utcIso agrees with Date#toISOString, humanUtc prints the report format', () => {
    const samples = [
      0,
      -1,
      951_782_400_000, // 2000-02-29
      4_107_542_400_000, // 2100-03-01
      Date.UTC(2026, 1, 12, 7, 0, 0, 123),
      Date.UTC(2024, 11, 31, 23, 59, 59, 999),
      Date.UTC(1969, 11, 31, 12, 0, 0),
    ];
    for (let i = 0; i < 200; i++) samples.push(i * 7_919_993_117);
    for (const ms of samples) expect(utcIso(ms)).toBe(new Date(ms).toISOString());
    expect(humanUtc(utcIso(Date.UTC(2026, 1, 12, 7, 5, 9)))).toBe('2026-02-12 07:05:09 UTC');
  });

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(19_000)).toBe('19 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(7_260_000)).toBe('2 h 1 min');
  });
});
