// Each scenario's figures: time to root cause (the last step of the first look) and to verified
// repair (the last verify step), approval immediate, from the run's own step timestamps. Run with
// the lab started:
//   DOCKER_HOST=unix:///run/runbook-bot-lab/podman.sock npx tsx test/scripts/bench-scenarios.ts [runs] scenario:runbook…
import type { ScenarioName } from '@runbook-bot/lab';
import type { RunState } from '../../src/runbooks/index.js';
import { runOnScenario } from '../support/lab-run.js';

const [first, ...rest] = process.argv.slice(2);
const runs = /^\d+$/.test(first ?? '') ? Number(first) : 1;
const pairs = (/^\d+$/.test(first ?? '') ? rest : process.argv.slice(2)).map((p) => {
  const [scenario, runbook] = p.split(':');
  if (!scenario || !runbook) throw new Error(`not scenario:runbook: ${p}`);
  return { scenario: scenario as ScenarioName, runbook };
});
if (pairs.length === 0) throw new Error('usage: bench-scenarios.ts [runs] scenario:runbook…');

const approve = () => ({ decision: 'approve' as const, by: 'U_BENCH' });
const last = (s: RunState, p: (r: RunState['steps'][string]) => boolean) => {
  const ends = Object.values(s.steps)
    .filter(p)
    .map((r) => r.finishedAt ?? 0);
  return ends.length === 0 ? Number.NaN : Math.max(...ends) - s.startedAt;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

for (const { scenario, runbook } of pairs) {
  const cause: number[] = [];
  const verified: number[] = [];
  let ending = '';
  for (let i = 0; i < runs; i++) {
    const run = await runOnScenario(scenario, runbook, { decide: approve });
    try {
      const s = run.state;
      ending = `${s.status}${s.cause ? ` (${s.cause})` : ''}`;
      cause.push(last(s, (r) => r.kind === 'diagnose' && r.round === 1));
      verified.push(last(s, (r) => r.kind === 'verify'));
    } finally {
      await run.executor.close();
      await run.scenario.teardown();
    }
  }
  console.log(
    `${scenario} (${runbook}): ${ending}; ${runs} runs, median root cause ${median(cause)} ms, verified repair ${median(verified)} ms (runs: ${cause.join('/')} ms; ${verified.join('/')} ms)`,
  );
}
