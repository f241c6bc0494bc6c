import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { aclScenarios } from './acl-scenarios.js';
import { appScenarios } from './app-scenarios.js';
import { depthScenarios } from './depth-scenarios.js';
import { labContainers, labDocker, labNetworks, removeDockerByPrefix } from './docker.js';
import { dockerScenarios } from './docker-scenarios.js';
import type { LabEnv } from './env.js';
import { hardScenarios } from './hard-scenarios.js';
import { hostPaths, hostProcesses, killHostProcesses, removeHostPaths } from './host.js';
import { hostScenarios } from './host-scenario.js';
import { LabError } from './lab-error.js';
import type { LabTarget, LabTargetInput } from './lab-target.js';
import { lookalikeScenarios } from './lookalike-scenarios.js';
import { sshScenarios } from './ssh-scenarios.js';
import { type LabScenario, SCENARIO_NAMES, type ScenarioDef, type ScenarioName } from './types.js';

const SCENARIOS: Record<ScenarioName, ScenarioDef> = {
  ...dockerScenarios,
  ...aclScenarios,
  ...depthScenarios,
  ...hostScenarios,
  ...hardScenarios,
  ...lookalikeScenarios,
  ...sshScenarios,
  ...appScenarios,
};

const PREFIX_RE = /^rbb-[0-9a-f]{6}-$/;

export function newPrefix(): string {
  return `rbb-${randomBytes(3).toString('hex')}-`;
}

export function isScenarioName(s: string): s is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(s);
}

export function listScenarios(): { name: ScenarioName; seed: string; description: string }[] {
  return SCENARIO_NAMES.map((name) => ({
    name,
    seed: SCENARIOS[name].seed,
    description: SCENARIOS[name].description,
  }));
}

export interface LabOptions {
  /** Where the lab lives; the composition root (CLI, tests) builds it from the environment. */
  env: LabEnv;
  prefix?: string;
  docker?: Docker;
  /** Let the bot read a Docker Redis over a direct connection (`redis.direct: true`). */
  direct?: boolean;
}

// The defaults the product's schema applies, so a scenario's entry reads as the bot will see it.
const withDefaults = (t: LabTargetInput, direct: boolean): LabTarget => ({
  redis: (({ ssh, ...redis }) => ({
    ...redis,
    port: redis.port ?? 6379,
    ...(ssh ? { ssh: { ...ssh, port: ssh.port ?? 22 } } : {}),
    ...(direct && redis.docker ? { direct: true as const } : {}),
  }))(t.redis),
  clients: t.clients ?? [],
  ...(t.queues ? { queues: t.queues } : {}),
});

function checkedPrefix(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) {
    throw new LabError(`a lab prefix looks like rbb-1a2b3c-, got ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

/** Removes everything a scenario with this prefix made: containers, networks, host processes and files. */
export async function teardownPrefix(prefix: string, opts: Omit<LabOptions, 'prefix'>): Promise<void> {
  checkedPrefix(prefix);
  const { env } = opts;
  const docker = opts.docker ?? labDocker(env);
  await killHostProcesses(env.labDir, prefix);
  await removeDockerByPrefix(docker, prefix);
  await removeHostPaths(env.labDir, prefix);
}

export interface Leftovers {
  containers: string[];
  networks: string[];
  processes: number[];
  paths: string[];
}

/** What still exists with this prefix; all empty after a teardown. */
export async function findLeftovers(prefix: string, opts: Omit<LabOptions, 'prefix'>): Promise<Leftovers> {
  const { env } = opts;
  const docker = opts.docker ?? labDocker(env);
  return {
    containers: await labContainers(docker, prefix),
    networks: await labNetworks(docker, prefix),
    processes: await hostProcesses(env.labDir, prefix),
    paths: await hostPaths(env.labDir, prefix),
  };
}

/** Builds one broken (or healthy) system for real and waits until its fault can be observed. */
export async function setupScenario(name: ScenarioName, opts: LabOptions): Promise<LabScenario> {
  if (!isScenarioName(name)) throw new LabError(`unknown lab scenario ${String(name)}`);
  const { env } = opts;
  const docker = opts.docker ?? labDocker(env);
  const prefix = checkedPrefix(opts.prefix ?? newPrefix());
  const teardown = () => teardownPrefix(prefix, { env, docker });
  try {
    const parts = await SCENARIOS[name].setup({
      docker,
      env,
      prefix,
      name: (suffix) => `${prefix}${suffix}`,
      hostPath: (suffix) => join(env.labDir, `${prefix}${suffix}`),
    });
    const { target: _raw, env: scenarioEnv, ...rest } = parts;
    return {
      ...rest,
      name,
      prefix,
      targetName: `${prefix}${name}`,
      target: withDefaults(parts.target, opts.direct ?? false),
      env: scenarioEnv ?? {},
      teardown,
    };
  } catch (e) {
    await teardown().catch(() => undefined);
    if (e instanceof LabError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new LabError(`scenario ${name} could not be set up: ${why}`, { cause: e });
  }
}
