// Records complete run states from the real lab scenarios, for the incident report tests
// (test/unit/report.test.ts, fixtures report.*.json). The fixtures without that prefix are older
// recordings (an engine without the second look after a repair) that the Slack block tests still
// read; they are no longer written here. Run on a machine with the lab started:
//   DOCKER_HOST=unix:///run/runbook-bot-lab/podman.sock npx tsx test/scripts/record-runs.ts [fixture...]
// What varies from one recording to the next is normalised so that recording again gives the same
// reports: a fake clock that advances one second per reading, the lab's random name prefix, command
// durations, and the volatile parts of Redis output (log timestamps, pids, uptime, temp file names).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioName } from '@runbook-bot/lab';
import { type RunState, runStateSchema } from '../../src/runbooks/index.js';
import type { DirectRunOptions } from '../support/direct-runner.js';
import { runOnScenario } from '../support/lab-run.js';

interface Recording {
  file: string;
  scenario: ScenarioName;
  runbook: string;
  runId: string;
  decide?: DirectRunOptions['decide'];
  /** The status the run must end in; anything else means the lab did not behave and nothing is written. */
  expect: RunState['status'];
}

const RECORDINGS: readonly Recording[] = [
  {
    file: 'report.rdb-permission.resolved.json',
    scenario: 'rdb-permission',
    runbook: 'redis-permissions',
    runId: 'INC-0001',
    decide: () => ({ decision: 'approve', by: 'U_APPROVER' }),
    expect: 'resolved',
  },
  {
    file: 'report.auth-refused.escalated.json',
    scenario: 'auth-refused',
    runbook: 'redis-connectivity',
    runId: 'INC-0002',
    decide: () => ({ decision: 'approve', by: 'U_APPROVER' }),
    expect: 'escalated',
  },
  {
    file: 'report.rdb-permission.rejected.json',
    scenario: 'rdb-permission',
    runbook: 'redis-permissions',
    runId: 'INC-0003',
    decide: () => ({ decision: 'reject', by: 'U_REVIEWER' }),
    expect: 'rejected',
  },
  {
    file: 'report.client-no-cli.inconclusive.json',
    scenario: 'client-no-cli',
    runbook: 'redis-connectivity',
    runId: 'INC-0004',
    expect: 'inconclusive',
  },
];

/** 2026-02-12 07:00:00 UTC, the time of seed 000. */
const EPOCH = Date.UTC(2026, 1, 12, 7, 0, 0);

function fakeClock(): () => number {
  let t = EPOCH;
  return () => {
    const now = t;
    t += 1000;
    return now;
  };
}

const VOLATILE: readonly [RegExp, string][] = [
  [/\brbb-[0-9a-f]{6}-/g, 'rbb-000000-'],
  // Redis log line prefix: "7:M 12 Feb 2026 06:58:01.034 ".
  [/\b\d+:([MCSX]) \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}\.\d{3}\b/g, '1:$1 12 Feb 2026 06:58:01.034'],
  [/\btemp-\d+\.rdb\b/g, 'temp-42.rdb'],
  [
    /\b(process_id|uptime_in_seconds|uptime_in_days|rdb_last_save_time|rdb_changes_since_last_save):\d+/g,
    '$1:0',
  ],
  [/\/proc\/\d+\b/g, '/proc/1'],
  [/\bup \d+ s\b/g, 'up 0 s'],
  // df -Pk: blocks, used, available and use% depend on the machine.
  [/^(\S+)\s+\d+\s+\d+\s+\d+\s+\d+%(\s+\S+)$/gm, '$1 1000000 1000 999000 1%$2'],
  [/\b\d+% used\b/g, '1% used'],
];

function normaliseString(s: string): string {
  return VOLATILE.reduce((out, [re, to]) => out.replace(re, to), s);
}

function normalise(value: unknown, key?: string): unknown {
  if (typeof value === 'string') return normaliseString(value);
  if (typeof value === 'number' && key === 'durationMs') return 0;
  if (Array.isArray(value)) return value.map((v) => normalise(v));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, k)]));
  return value;
}

const only = process.argv.slice(2);
const dir = join(import.meta.dirname, '../fixtures/runs');

for (const r of RECORDINGS) {
  if (only.length && !only.some((o) => r.file.startsWith(o))) continue;
  const t0 = Date.now();
  const run = await runOnScenario(r.scenario, r.runbook, {
    runId: r.runId,
    startedBy: 'U_ONCALL',
    now: fakeClock(),
    ...(r.decide ? { decide: r.decide } : {}),
  });
  try {
    const state = runStateSchema.parse(normalise(run.state));
    const json = JSON.stringify(state, null, 1);
    // The recorded state goes into the repository: no secret of the scenario may be in it.
    const leaked = [...Object.values(run.scenario.env), run.scenario.redisPassword ?? '']
      .filter((s) => s.length > 0)
      .filter((s) => json.includes(s));
    if (leaked.length > 0) throw new Error(`${r.file}: a secret of the scenario is in the state`);
    if (state.status !== r.expect) throw new Error(`${r.file}: ended ${state.status}, expected ${r.expect}`);
    writeFileSync(join(dir, r.file), `${json}\n`);
    console.log(`${r.file}: ${state.status} cause=${state.cause ?? '-'} (${Date.now() - t0} ms)`);
  } finally {
    await run.executor.close();
    await run.scenario.teardown();
  }
}
