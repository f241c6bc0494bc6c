import { type LabScenario, labDocker, labEnvFrom, type ScenarioName, setupScenario } from '@runbook-bot/lab';
import { TargetExecutor } from '../../src/executors/target-executor.js';
import { type RunState, viewOfTarget } from '../../src/runbooks/index.js';
import { builtinRunbook } from '../../src/runbooks/library/index.js';
import { redact } from '../../src/runbooks/redact.js';
import { type DirectRunOptions, runDirect } from './direct-runner.js';

export const labEnv = () => labEnvFrom(process.env);

const secretsOf = (s: LabScenario) => [
  ...Object.values(s.env),
  ...(s.redisPassword ? [s.redisPassword] : []),
];

export interface LabRun {
  scenario: LabScenario;
  executor: TargetExecutor;
  state: RunState;
}

type RunOpts = Pick<DirectRunOptions, 'decide' | 'observe'> &
  Partial<Pick<DirectRunOptions, 'now'>> & { runId?: string; startedBy?: string; handedOverFrom?: string[] };

/** Runs one runbook against a scenario that is already up, as the bot would (a handover, say). */
export async function runAgainst(
  scenario: LabScenario,
  executor: TargetExecutor,
  runbookId: string,
  opts: RunOpts = {},
): Promise<RunState> {
  const { runId = 'INC-LAB', startedBy = 'U_LAB', now = Date.now, handedOverFrom, ...direct } = opts;
  const rb = builtinRunbook(runbookId);
  if (!rb) throw new Error(`no runbook ${runbookId}`);
  const t0 = Date.now();
  const state = await runDirect(
    rb,
    {
      runId,
      target: viewOfTarget(scenario.targetName, scenario.target),
      startedBy,
      approvalTtlMs: 900_000,
      ...(handedOverFrom ? { handedOverFrom } : {}),
    },
    {
      runner: executor,
      now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      // What the bot would redact: the secrets this target's env vars hold.
      redact: (text, o) => redact(text, secretsOf(scenario), o),
      ...direct,
    },
  );
  // A figure for the notes, not an assertion: the conclusion and the time to reach it.
  console.log(
    `conclusion: ${scenario.name} / ${runbookId}: ${state.status}${state.cause ? ` (${state.cause})` : ''} in ${Date.now() - t0} ms\n   ${state.outcome?.summary ?? ''}`,
  );
  return state;
}

/** Builds a scenario for real, with the executor the worker would use for its target. */
export async function bringUp(name: ScenarioName): Promise<Pick<LabRun, 'scenario' | 'executor'>> {
  const env = labEnv();
  const docker = labDocker(env);
  const scenario = await setupScenario(name, { env, docker });
  const executor = new TargetExecutor(scenario.targetName, scenario.target, {
    docker,
    secretOf: (n) => scenario.env[n],
  });
  return { scenario, executor };
}

/** Builds a scenario for real and runs a runbook against it through the real executors. */
export async function runOnScenario(
  name: ScenarioName,
  runbookId: string,
  opts: RunOpts = {},
): Promise<LabRun> {
  const { scenario, executor } = await bringUp(name);
  try {
    const state = await runAgainst(scenario, executor, runbookId, opts);
    return { scenario, executor, state };
  } catch (e) {
    await executor.close();
    await scenario.teardown();
    throw e;
  }
}
