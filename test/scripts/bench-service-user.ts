// Seed 003's figures: time to root cause and to verified repair on the real-systemd VM, over SSH
// as root and as a sudo user, approval immediate. Run with the lab started:
//   DOCKER_HOST=unix:///run/runbook-bot-lab/podman.sock npx tsx test/scripts/bench-service-user.ts [runs]
import type { RunState } from '../../src/runbooks/index.js';
import { runOnScenario } from '../support/lab-run.js';

const runs = Number(process.argv[2] ?? 3);
const approve = () => ({ decision: 'approve' as const, by: 'U_BENCH' });
const last = (s: RunState, p: (r: RunState['steps'][string]) => boolean) =>
  Math.max(
    ...Object.values(s.steps)
      .filter(p)
      .map((r) => r.finishedAt ?? 0),
  ) - s.startedAt;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

for (const name of ['service-user-mismatch', 'service-user-sudo'] as const) {
  const cause: number[] = [];
  const verified: number[] = [];
  const setup: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = Date.now();
    const run = await runOnScenario(name, 'redis-permissions', { decide: approve });
    try {
      const s = run.state;
      if (s.status !== 'resolved' || s.cause !== 'service-user')
        throw new Error(`${name}: ${s.status} ${s.cause}`);
      setup.push(s.startedAt - t0);
      cause.push(last(s, (r) => r.kind === 'diagnose' && r.round === 1));
      verified.push(last(s, (r) => r.kind === 'verify'));
    } finally {
      await run.executor.close();
      await run.scenario.teardown();
    }
  }
  console.log(
    `${name}: ${runs} runs, median root cause ${median(cause)} ms, verified repair ${median(verified)} ms (runs: ${cause.join('/')} ms, ${verified.join('/')} ms; VM boot+fault ${median(setup)} ms)`,
  );
}
