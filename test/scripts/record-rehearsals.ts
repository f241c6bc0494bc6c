// Records what the diagnosis steps print against the real lab scenarios, so the unit tests can
// replay them through the engine with no services. Run on a machine with the lab started:
//   DOCKER_HOST=unix:///run/runbook-bot-lab/podman.sock npx tsx test/scripts/record-rehearsals.ts [scenario...]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecResult } from '../../src/runbooks/index.js';
import { runOnScenario } from '../support/lab-run.js';
import { EXPECTATIONS, fixtureName } from '../support/scenarios.js';

const only = process.argv.slice(2);
const dir = join(import.meta.dirname, '../fixtures/rehearsals');

for (const e of EXPECTATIONS) {
  if (only.length && !only.includes(e.scenario)) continue;
  const results: Record<string, ExecResult> = {};
  const t0 = Date.now();
  const run = await runOnScenario(e.scenario, e.runbook, {
    observe: (o) => {
      if ('stepKey' in o && o.results[0]) results[o.stepKey] = o.results[0];
    },
  });
  try {
    const fixture = {
      scenario: e.scenario,
      runbook: e.runbook,
      recordedAt: new Date().toISOString().slice(0, 10),
      target: run.state.target,
      status: run.state.status,
      cause: run.state.cause ?? null,
      results,
    };
    writeFileSync(join(dir, fixtureName(e)), `${JSON.stringify(fixture, null, 1)}\n`);
    const approval = Object.values(run.state.approvals)[0];
    console.log(
      `${e.scenario} / ${e.runbook}: ${run.state.status} cause=${run.state.cause ?? '-'} (${Date.now() - t0} ms)`,
      approval ? `\n   card: ${approval.commands.join(' && ')}` : '',
    );
    for (const s of Object.values(run.state.steps))
      for (const f of s.findings)
        if (f.severity !== 'ok') console.log(`   [${f.severity}] ${s.key}: ${f.statement}`);
  } finally {
    await run.executor.close();
    await run.scenario.teardown();
  }
}
