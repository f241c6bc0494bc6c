import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnosisSummary } from '../../src/bot/thread-blocks.js';
import { type RunState, runStateSchema } from '../../src/runbooks/index.js';

// The thread's summary of a look at the target, over a run recorded from the real lab
// (rdb-permission, resolved): the look after the repair must not read as if the fault were still there.

const state = (): RunState =>
  runStateSchema.parse(
    JSON.parse(
      readFileSync(join(import.meta.dirname, '../fixtures/runs/report.rdb-permission.resolved.json'), 'utf8'),
    ),
  );
const textOf = (m: ReturnType<typeof diagnosisSummary>) => m.blocks.map((b) => JSON.stringify(b)).join('\n');

describe('the diagnosis summary in the thread', () => {
  it('the first look leads with the problems it found', () => {
    const m = diagnosisSummary('INC-0001', state(), 1);
    expect(textOf(m)).toMatch(/\*Diagnosis\*: \d+ problems found/);
    expect(textOf(m)).toContain('Permission denied');
  });

  it('after the repair, log lines written before it are history, not problems found now', () => {
    const s = state();
    const m = diagnosisSummary('INC-0001', s, 2);
    const text = textOf(m);
    expect(text).toMatch(
      /Look again after the repair\* \(diagnosis round 2\): no problem found \(the log still holds \d entr(y|ies) from before the repair\)/,
    );
    expect(text).toContain('Logged before the repair');
    expect(text).not.toContain(':red_circle:');
    expect(m.text).toMatch(/: no problem found/);
  });

  it('a log line written after the repair began is still a problem found now', () => {
    const s = state();
    // The repair as if it had begun before the failures were logged: they are then current.
    for (const r of Object.values(s.steps))
      if (r.kind === 'repair') r.issuedAt = Date.UTC(2026, 1, 12, 6, 0, 0);
    const text = textOf(diagnosisSummary('INC-0001', s, 2));
    expect(text).toMatch(/diagnosis round 2\): \d problems? found/);
    expect(text).not.toContain('Logged before the repair');
  });

  it("on an SSH host, whose log is in the host's own zone, nothing is set aside", () => {
    const s = state();
    s.target = { ...s.target, kind: 'ssh' } as RunState['target'];
    expect(textOf(diagnosisSummary('INC-0001', s, 2))).not.toContain('Logged before the repair');
  });
});
