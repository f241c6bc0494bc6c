import type { Facts, StepContext } from '../model.js';

export const str = (facts: Facts, key: string): string | undefined => {
  const v = facts[key];
  return typeof v === 'string' ? v : undefined;
};
export const num = (facts: Facts, key: string): number | undefined => {
  const v = facts[key];
  return typeof v === 'number' ? v : undefined;
};
export const list = (facts: Facts, key: string): string[] => {
  const v = facts[key];
  return Array.isArray(v) ? v : [];
};

// Values parsed from a target's output only become facts (and so command arguments) when they
// have the shape they should; anything else is dropped rather than passed on.
export const SAFE_PATH = /^\/[\w./-]*$/;
export const SAFE_NAME = /^[A-Za-z0-9][\w.-]{0,127}$/;

/** The data directory: what Redis says, else what the log said, else the targets file, else /data. */
export function dataDirOf(ctx: StepContext): string {
  return str(ctx.facts, 'redis.dir') ?? str(ctx.facts, 'log.rdbDir') ?? ctx.target.redis.dataDir ?? '/data';
}

export const clientFact = (client: string, what: string) => `client.${client}.${what}`;
