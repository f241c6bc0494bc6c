import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { TargetDirectory } from './incidents/ports.js';
import type { TargetConfig } from './runbooks/index.js';
import { targetsFileSchema, viewOfTarget } from './runbooks/index.js';

export interface Targets extends TargetDirectory {
  config(name: string): TargetConfig | undefined;
  /** Env var names holding secrets (Redis passwords) that the executors must be given. */
  secretEnvNames(): string[];
}

export type TargetsResult = { ok: true; targets: Targets } | { ok: false; errors: string[] };

export function parseTargets(text: string, source: string): TargetsResult {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    return {
      ok: false,
      errors: [`${source}: not valid YAML: ${e instanceof Error ? e.message : String(e)}`],
    };
  }
  const parsed = targetsFileSchema.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => `${source}: ${i.path.join('.') || '(top)'}: ${i.message}`),
    };
  const all = parsed.data.targets;
  return {
    ok: true,
    targets: {
      names: () => Object.keys(all).sort(),
      config: (name) => (Object.hasOwn(all, name) ? all[name] : undefined),
      view: (name) => {
        const t = Object.hasOwn(all, name) ? all[name] : undefined;
        return t ? viewOfTarget(name, t) : undefined;
      },
      secretEnvNames: () => [
        ...new Set(Object.values(all).flatMap((t) => (t.redis.passwordEnv ? [t.redis.passwordEnv] : []))),
      ],
    },
  };
}

export function loadTargets(path: string): TargetsResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return {
      ok: false,
      errors: [`TARGETS_FILE: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`],
    };
  }
  return parseTargets(text, path);
}
