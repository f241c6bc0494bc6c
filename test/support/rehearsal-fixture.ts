import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecResult, Runbook, TargetView } from '../../src/runbooks/index.js';
import { execResultSchema, targetViewSchema } from '../../src/runbooks/index.js';
import { builtinRunbook } from '../../src/runbooks/library/index.js';
import { engineDriver } from './engine-driver.js';

// Command outputs recorded from the real lab (test/scripts/record-rehearsals.ts), replayed through
// the engine driver: each probe answered with what the real target printed.

export interface Rehearsal {
  runbook: Runbook;
  target: TargetView;
  results: Record<string, ExecResult>;
}

export function loadRehearsal(name: string): Rehearsal {
  const raw = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/rehearsals', name), 'utf8'));
  const runbook = builtinRunbook(String(raw.runbook));
  if (!runbook) throw new Error(`${name}: no runbook ${String(raw.runbook)}`);
  return {
    runbook,
    target: targetViewSchema.parse(raw.target),
    results: Object.fromEntries(
      Object.entries(raw.results as Record<string, unknown>).map(([k, v]) => [k, execResultSchema.parse(v)]),
    ),
  };
}

/** Replays a rehearsal up to where the run waits (or ends); the fixture's target may be overridden. */
export function replayRehearsal(fx: Rehearsal) {
  return engineDriver(fx.runbook, {
    target: fx.target,
    runId: 'INC-REHEARSAL',
    startedBy: 'U_ONCALL',
    answer: (_id, _round, key) => {
      const r = fx.results[key];
      if (!r) throw new Error(`no recorded output for step ${key}`);
      return r;
    },
  }).run();
}
