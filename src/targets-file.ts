import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';
import type { TargetDirectory } from './incidents/ports.js';
import type { AlertRule, TargetConfig } from './runbooks/index.js';
import { targetsFileSchema, viewOfTarget } from './runbooks/index.js';

export interface Targets extends TargetDirectory {
  config(name: string): TargetConfig | undefined;
  /** Env var names holding secrets (Redis passwords) that the executors must be given. */
  secretEnvNames(): string[];
  /** The `alerts:` routing rules, in the file's order. */
  alertRules(): readonly AlertRule[];
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
  const rules = parsed.data.alerts ?? [];
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
      alertRules: () => rules,
    },
  };
}

/**
 * Reads and validates the targets file. `keyFiles` (default true): also check that every SSH
 * target's private key can be read, so a missing key stops start-up rather than a run. Off where
 * no step runs: the bot role is deliberately not given the keys.
 */
export function loadTargets(path: string, opts: { keyFiles?: boolean } = {}): TargetsResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return {
      ok: false,
      errors: [`TARGETS_FILE: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`],
    };
  }
  const parsed = parseTargets(text, path);
  if (!parsed.ok || opts.keyFiles === false) return parsed;
  const errors = keyFileErrors(parsed.targets, path);
  return errors.length > 0 ? { ok: false, errors } : parsed;
}

/** One error per SSH target whose key cannot be read: the target and the path, never the content. */
function keyFileErrors(targets: Targets, source: string): string[] {
  return targets.names().flatMap((name) => {
    const key = targets.config(name)?.redis.ssh?.privateKeyFile;
    if (key === undefined) return [];
    const at = `${source}: targets.${name}.redis.ssh.privateKeyFile`;
    try {
      if (!statSync(key).isFile()) return [`${at}: ${key} is not a file`];
      accessSync(key, constants.R_OK);
      return [];
    } catch (e) {
      return [`${at}: cannot read ${key}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`];
    }
  });
}
