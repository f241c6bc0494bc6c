// Records the first look of seed 002's ACL scenarios (tools/lab/src/acl-scenarios.ts) for the unit
// replays in test/unit/acl-diagnosis.test.ts. Run on a machine with the lab started:
//   DOCKER_HOST=unix:///run/runbook-bot-lab/podman.sock npx tsx test/scripts/record-acl-rehearsals.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioName } from '@runbook-bot/lab';
import type { ExecResult } from '../../src/runbooks/index.js';
import { runOnScenario } from '../support/lab-run.js';

const dir = join(import.meta.dirname, '../fixtures/rehearsals');
const SCENARIOS: ScenarioName[] = ['acl-only', 'acl-not-loaded', 'aclfile-missing'];

for (const scenario of SCENARIOS) {
  const results: Record<string, ExecResult> = {};
  // Diagnosis only: nothing is approved, so the fixture holds the first look and nothing after it.
  const run = await runOnScenario(scenario, 'redis-connectivity', {
    observe: (o) => {
      if ('stepKey' in o && o.results[0] && !o.stepKey.includes('~')) results[o.stepKey] = o.results[0];
    },
  });
  try {
    const text = JSON.stringify(
      {
        scenario,
        runbook: 'redis-connectivity',
        recordedAt: new Date().toISOString().slice(0, 10),
        target: run.state.target,
        status: run.state.status,
        cause: run.state.cause ?? null,
        results,
      },
      null,
      1,
    );
    // The app user's password lives only in the ACL file, which no step prints; make sure of it.
    if (run.scenario.redisPassword && text.includes(run.scenario.redisPassword))
      throw new Error(`${scenario}: the recording holds the password`);
    writeFileSync(join(dir, `${scenario}.redis-connectivity.json`), `${text}\n`);
    console.log(`${scenario}: ${run.state.status} cause=${run.state.cause ?? '-'}`);
  } finally {
    await run.executor.close();
    await run.scenario.teardown();
  }
}
