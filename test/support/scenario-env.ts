import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabScenario } from '@runbook-bot/lab';
import { stringify } from 'yaml';
import { parseTargets, type Targets } from '../../src/targets-file.js';

export interface ScenarioEnvironment {
  /** A temporary folder holding the targets file, for whatever else the test writes. */
  dir: string;
  targetsFile: string;
  /** The file as the product parsed it: a lab entry the product refuses fails the test here. */
  targets: Targets;
  /** The values the targets' env vars hold (Redis passwords), as the product would read them. */
  secrets: Record<string, string>;
}

/** Lab scenarios as a deployment would configure them: one targets file, and the env beside it. */
export function scenarioEnvironment(
  scenarios: readonly LabScenario[],
  extraTargets: Record<string, unknown> = {},
): ScenarioEnvironment {
  const dir = mkdtempSync(join(tmpdir(), 'rbb-targets-'));
  const targetsFile = join(dir, 'targets.yaml');
  const yaml = stringify({
    targets: { ...Object.fromEntries(scenarios.map((s) => [s.targetName, s.target])), ...extraTargets },
  });
  writeFileSync(targetsFile, yaml);
  const parsed = parseTargets(yaml, targetsFile);
  if (!parsed.ok) throw new Error(`the lab's targets file does not parse:\n${parsed.errors.join('\n')}`);
  return {
    dir,
    targetsFile,
    targets: parsed.targets,
    secrets: Object.assign({}, ...scenarios.map((s) => s.env)),
  };
}
