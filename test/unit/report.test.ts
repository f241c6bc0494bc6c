import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/reports/markdown.js';
import { codeSpan, fencedBlock, tableCell } from '../../src/reports/markdown-text.js';
import type { EngineEvent, ExecResult, Runbook, RunState } from '../../src/runbooks/index.js';
import { advance, runStateSchema } from '../../src/runbooks/index.js';
import { builtinRunbook } from '../../src/runbooks/library/index.js';
import { buildReport, formatDuration, humanUtc, utcIso } from '../../src/runbooks/report.js';
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

const markdownOf = (name: string, secrets: string[] = []) => {
  const { state, runbook } = recorded(name);
  return renderMarkdown(buildReport(state, runbook), secrets);
};

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
  it('rdb-permission, approved and resolved', async () => {
    await expect(markdownOf('rdb-permission.resolved.json')).toMatchFileSnapshot(
      '__snapshots__/report.rdb-permission.resolved.md',
    );
  });

  it('auth-refused, escalated without a repair', async () => {
    await expect(markdownOf('auth-refused.escalated.json')).toMatchFileSnapshot(
      '__snapshots__/report.auth-refused.escalated.md',
    );
  });

  it('rdb-permission, repair rejected', async () => {
    await expect(markdownOf('rdb-permission.rejected.json')).toMatchFileSnapshot(
      '__snapshots__/report.rdb-permission.rejected.md',
    );
  });

  it('the resolved report names the root cause, its evidence, the approver, the exact command and the checks', () => {
    const { state, runbook } = recorded('rdb-permission.resolved.json');
    const report = buildReport(state, runbook);
    expect(report.header).toMatchObject({
      incidentId: 'INC-0001',
      status: 'resolved',
      startedBy: 'U_ONCALL',
      startedAt: '2026-02-12T07:00:00.000Z',
      finished: true,
    });
    expect(report.rootCause?.title).toBe(
      'The data directory is owned by another user than the one Redis runs as',
    );
    const evidence = report.rootCause?.evidence.flatMap((f) => f.evidence) ?? [];
    expect(evidence).toContain('redis runs as 999:999');
    expect(evidence.some((l) => /Failed opening the temp RDB file .* Permission denied/.test(l))).toBe(true);
    expect(evidence).toContain('rdb_last_bgsave_status:err');
    expect(report.rootCause?.evidence[0]?.code).toBe('owner-mismatch');

    const [repair] = report.resolution;
    expect(repair?.approvedBy?.by).toBe('U_APPROVER');
    expect(repair?.actions).toMatchObject([
      {
        command: 'docker exec -u root rbb-000000-redis chown -R 999:999 /data',
        exitCode: 0,
        outcome: 'succeeded',
      },
    ]);
    expect(report.changes).toMatchObject([
      { commands: ['docker exec -u root rbb-000000-redis chown -R 999:999 /data'], complete: true },
    ]);
    expect(report.verification.map((v) => v.passed)).toEqual([true, true, true]);
    expect(report.notDone).toEqual([]);
    expect(report.recommendations).toEqual(runbook.causes['owner-mismatch']?.prevention);
    expect(report.timeline).toHaveLength(state.timeline.length);

    const md = renderMarkdown(report);
    expect(md).toContain('**The data directory is owned by another user than the one Redis runs as**');
    expect(md).toMatch(/\*\*Approved by:\*\* U_APPROVER at 2026-02-12 07:00:\d\d UTC/);
    expect(fencedBlocks(md)).toContain('docker exec -u root rbb-000000-redis chown -R 999:999 /data');
    expect(md).toContain('| rdb_last_bgsave_status is ok | ✅ |');
    expect(md).toContain('**Status:** ✅ RESOLVED');
    expect(md).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
  });

  it('the escalated and rejected reports say what was found and that nothing was run', () => {
    const escalated = markdownOf('auth-refused.escalated.json');
    expect(escalated).toContain('**Redis refuses the credentials**');
    expect(escalated).toContain('AUTH failed: WRONGPASS');
    expect(escalated).toContain('No repair was run.');
    expect(escalated).toContain('Nothing was changed on rbb-000000-auth-refused.');

    const { state, runbook } = recorded('rdb-permission.rejected.json');
    const report = buildReport(state, runbook);
    expect(report.resolution).toEqual([]);
    expect(report.changes).toEqual([]);
    expect(report.notDone[0]).toMatch(
      /^The repair "Give the data directory .*" was not run: the approval was rejected by U_REVIEWER at 2026-02-12 07:00:\d\d UTC\.$/,
    );
    expect(report.summary).toContain('rejected by U_REVIEWER');
    expect(fencedBlocks(renderMarkdown(report))).toContain(
      'docker exec -u root rbb-000000-redis chown -R 999:999 /data',
    );
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
    expect(renderMarkdown(report)).toContain('⌛ APPROVAL EXPIRED');
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
      'The repair "Give the data directory to the Redis user (exec as root in the running container)" was not run: its approval was withdrawn when the run was cancelled by Lee (U_LEAD).',
    );
    expect(report.timeline.at(-2)).toMatchObject({ kind: 'cancelled', by: 'Lee (U_LEAD)' });
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
    expect(md).toContain('✅ NO FAULT FOUND');
    expect(md).toContain('## What was checked');
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
    expect(md).toContain('⚠️ REPAIR INTERRUPTED');
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
    expect(renderMarkdown(report)).toContain('**Ended:** not yet (the run is still going)');
  });
});

describe('incident report: Markdown safety', () => {
  const nasty = 'ok | done\n```\n`x` ```` y\n<script>alert(1)</script>\n**bold** [a](http://e.example) $x$';

  function stateWithNastyOutput(): RunState {
    const { state } = recorded('rdb-permission.resolved.json');
    const s = structuredClone(state);
    const repair = s.steps['chown-running'];
    const check = s.steps['verify-write'];
    if (!repair?.results[0] || !check?.check) throw new Error('fixture changed');
    repair.commands = ['echo `id` | tee /tmp/x'];
    repair.results[0] = { ...repair.results[0], stdout: nasty, stderr: 'a|b\n```' };
    check.check = { passed: false, statement: 'SET → a | b', evidence: [nasty, 'c|d'] };
    s.timeline.push({ at: s.updatedAt, kind: 'finding', text: 'x | y\n| z | w |\n```' });
    return s;
  }

  it('a backtick, pipe or newline in output cannot break a table row or a code block', () => {
    const s = stateWithNastyOutput();
    const md = renderMarkdown(buildReport(s, builtinRunbook(s.runbookId) as Runbook));

    const checks = tableRows(md, '| Check | Status | Evidence |');
    expect(checks).toHaveLength(2 + 3);
    for (const row of checks) expect(row).toHaveLength(3);
    expect(checks.find((r) => r[0]?.includes('A write is accepted'))?.[1]?.trim()).toBe('❌');

    const timeline = tableRows(md, '| Time (UTC) | Event | Details | By |');
    expect(timeline).toHaveLength(2 + s.timeline.length);
    for (const row of timeline) expect(row).toHaveLength(4);

    const blocks = fencedBlocks(md);
    expect(blocks).toContain(nasty);
    expect(blocks).toContain('a|b\n```');
    expect(blocks).toContain('echo `id` | tee /tmp/x');
    const { prose } = scan(md);
    expect(prose).not.toContain('<script>');
    expect(prose).toContain('&lt;script>alert(1)&lt;/script>');
    expect(prose).not.toMatch(/[^\\]\*\*bold/);
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
    const { state } = recorded('rdb-permission.resolved.json');
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
