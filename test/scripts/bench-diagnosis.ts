// Diagnosis wall time through the whole queue (orchestrator → BullMQ → step workers → events →
// engine) against a plain sequential script running the same commands, per lab scenario, and the
// orchestration overhead per step (time a step spent in the machinery beyond its command).
// Run with the lab started:
//   npm run build && DOCKER_HOST=unix:///run/runbook-bot-lab/podman.sock npx tsx test/scripts/bench-diagnosis.ts [rounds]

import { labDocker, type ScenarioName, setupScenario } from '@runbook-bot/lab';
import { TargetExecutor } from '../../src/executors/target-executor.js';
import { BotRedis } from '../support/bot-redis.js';
import { labEnv } from '../support/lab-run.js';
import { orchestrationHarness } from '../support/orchestration.js';
import { EXPECTATIONS } from '../support/scenarios.js';

const rounds = Number(process.argv[2] ?? 3);
const env = labEnv();
const docker = labDocker(env);
const redis = await BotRedis.start();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? Number.NaN;
const overheads: number[] = [];
const rows: string[] = [];

const seen = new Set<string>();
for (const e of EXPECTATIONS) {
  const key = `${e.scenario}/${e.runbook}`;
  if (seen.has(key)) continue;
  seen.add(key);
  const queued: number[] = [];
  const sequential: number[] = [];
  let steps = 0;
  for (let r = 0; r < rounds; r++) {
    const s = await setupScenario(e.scenario as ScenarioName, { env, docker });
    const h = await orchestrationHarness({ redisUrl: redis.url, scenarios: [s], inProcessWorkers: true });
    const ex = new TargetExecutor(s.targetName, s.target, { docker, secretOf: (n) => s.env[n] });
    try {
      const t0 = Date.now();
      const started = await h.orchestrator.start({
        runbookId: e.runbook,
        targetName: s.targetName,
        startedBy: 'U_BENCH',
      });
      if (!started.ok) throw new Error(started.refusal.message);
      await h.waitForStatus(
        started.id,
        ['awaiting-approval', 'escalated', 'no-fault', 'handed-over'],
        120_000,
      );
      queued.push(Date.now() - t0);
      const rec = await h.store.load(started.id);
      const diag = Object.values(rec?.state.steps ?? {}).filter(
        (x) => x.kind === 'diagnose' && x.status === 'done',
      );
      steps = diag.length;
      for (const x of diag) {
        const ran = x.results.reduce((sum, res) => sum + res.durationMs, 0);
        if (x.issuedAt !== undefined && x.finishedAt !== undefined)
          overheads.push(x.finishedAt - x.issuedAt - ran);
      }
      // The same commands, one after another, with no queue and no engine.
      const t1 = Date.now();
      for (const x of diag) for (const a of x.actions) await ex.run(a, { timeoutMs: 15_000 });
      sequential.push(Date.now() - t1);
    } finally {
      await ex.close();
      await h.close();
      await s.teardown();
    }
  }
  const q = median(queued);
  const sq = median(sequential);
  rows.push(
    `${key.padEnd(42)} ${String(steps).padStart(5)} ${String(q).padStart(9)} ${String(sq).padStart(11)} ${(q / sq).toFixed(2).padStart(6)}`,
  );
}
// Calibration: what this machine's container engine does with parallel execs at all.
const cal = await setupScenario('healthy', { env, docker });
const calEx = new TargetExecutor(cal.targetName, cal.target, { docker, secretOf: (n) => cal.env[n] });
const ping = { kind: 'redis' as const, place: { at: 'redis' as const }, args: ['PING'] };
let c0 = Date.now();
for (let i = 0; i < 8; i++) await calEx.run(ping, { timeoutMs: 15_000 });
const calSeq = Date.now() - c0;
c0 = Date.now();
await Promise.all(Array.from({ length: 8 }, () => calEx.run(ping, { timeoutMs: 15_000 })));
const calPar = Date.now() - c0;
await calEx.close();
await cal.teardown();
await redis.stop();
console.log(`calibration: 8 docker execs one after another ${calSeq} ms, all at once ${calPar} ms\n`);
console.log(`diagnosis wall time, median of ${rounds} rounds (ms)\n`);
console.log(`${'scenario/runbook'.padEnd(42)} steps  queue-ms  sequential  ratio`);
for (const r of rows) console.log(r);
console.log(
  `\norchestration overhead per step (issued → result applied, minus the command's own time), ${overheads.length} steps: median ${median(overheads)} ms, p95 ${pct(overheads, 95)} ms`,
);
process.exit(0);
