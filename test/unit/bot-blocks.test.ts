import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateBlocks } from '@runbook-bot/local-slack';
import { describe, expect, it } from 'vitest';
import { approvalCard } from '../../src/bot/approval-card.js';
import { chunks, codeSections, LIMITS } from '../../src/bot/blocks.js';
import { decodeButtonValue, encodeButtonValue } from '../../src/bot/button-value.js';
import { findingsMessage, rootMessage } from '../../src/bot/incident-blocks.js';
import { redactDeep } from '../../src/bot/slack-api.js';
import { type RunState, runStateSchema } from '../../src/runbooks/index.js';
import { builtinRunbook } from '../../src/runbooks/library/index.js';

// Every message the bot builds must be one Slack accepts: checked against the local Slack's
// independent Block Kit validator, with recorded lab runs and with output far beyond the limits.
const recorded = (name: string): RunState =>
  runStateSchema.parse(JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/runs', name), 'utf8')));
const RUNS = ['rdb-permission.resolved.json', 'rdb-permission.rejected.json', 'auth-refused.escalated.json'];

function buttons(blocks: unknown[]): { text: string; value: string }[] {
  return blocks.flatMap((b) => {
    const el = (b as { elements?: unknown[] }).elements ?? [];
    return (el as { type: string; text: { text: string }; value: string }[])
      .filter((e) => e.type === 'button')
      .map((e) => ({ text: e.text.text, value: e.value }));
  });
}

describe('block builders', () => {
  for (const name of RUNS)
    it(`${name}: root message, every findings message and every card are valid Block Kit`, () => {
      const state = recorded(name);
      const runbook = builtinRunbook(state.runbookId);
      const root = rootMessage({ id: state.runId, state, runbook });
      expect(validateBlocks(root.blocks)).toEqual([]);
      expect(root.text).toContain(state.runId);
      for (const run of Object.values(state.steps).filter((r) => r.findings.length > 0)) {
        const m = findingsMessage(state.runId, run);
        expect(validateBlocks(m.blocks)).toEqual([]);
        for (const f of run.findings)
          for (const e of f.evidence.slice(0, 1))
            expect(JSON.stringify(m.blocks)).toContain(JSON.stringify(e.replace(/[&<>]/g, '')).slice(1, 20));
      }
      for (const a of Object.values(state.approvals)) {
        const card = approvalCard(state.runId, state, runbook, { ...a, status: 'pending' });
        expect(validateBlocks(card.blocks)).toEqual([]);
        const json = JSON.stringify(card.blocks);
        for (const c of a.commands) expect(json).toContain(JSON.stringify(c).slice(1, -1));
        expect(buttons(card.blocks).map((b) => b.text)).toEqual(['Approve', 'Reject']);
        expect(decodeButtonValue(buttons(card.blocks)[0]?.value)).toEqual({
          v: 1,
          incident: state.runId,
          approval: a.id,
        });
        const decided = approvalCard(state.runId, state, runbook, a);
        expect(validateBlocks(decided.blocks)).toEqual([]);
        if (a.status !== 'pending') expect(buttons(decided.blocks)).toEqual([]);
      }
    });

  it('a card says who decided and when', () => {
    const state = recorded('rdb-permission.resolved.json');
    const a = Object.values(state.approvals)[0];
    if (!a) throw new Error('no approval');
    const json = JSON.stringify(approvalCard(state.runId, state, builtinRunbook(state.runbookId), a).blocks);
    expect(json).toMatch(
      new RegExp(`Approved\\* by <@${a.decidedBy}> at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC`),
    );
  });

  it('evidence too long for a message goes to a file, whole; the message stays valid', () => {
    const state = recorded('rdb-permission.resolved.json');
    const run = Object.values(state.steps).find((r) => r.findings.length > 0);
    if (!run) throw new Error('no findings');
    const huge = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(i % 7 === 0 ? 5000 : 80)}`);
    const big = {
      ...run,
      findings: Array.from({ length: 60 }, (_, i) => ({
        code: `c${i}`,
        severity: 'warning' as const,
        statement: `finding ${i}`,
        evidence: huge,
      })),
    };
    const m = findingsMessage(state.runId, big);
    expect(m.overflow).toBe(true);
    expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    expect(validateBlocks(m.blocks)).toEqual([]);
    expect(JSON.stringify(m.blocks)).toContain(m.filename);
    for (const line of huge) expect(m.fullText).toContain(line);
  });

  it('a card with more commands than fit keeps its buttons and sends the commands as a file', () => {
    const state = recorded('rdb-permission.resolved.json');
    const a = Object.values(state.approvals)[0];
    if (!a) throw new Error('no approval');
    const commands = Array.from({ length: 3000 }, (_, i) => `chown -R 999:999 /data/${i}/${'d'.repeat(40)}`);
    const card = approvalCard(state.runId, state, builtinRunbook(state.runbookId), {
      ...a,
      status: 'pending',
      commands,
    });
    expect(validateBlocks(card.blocks)).toEqual([]);
    expect(card.overflow).toBe(true);
    expect(buttons(card.blocks).map((b) => b.text)).toEqual(['Approve', 'Reject']);
    expect(card.fullText.split('\n')).toEqual(commands);
  });

  it('splits text without losing any of it, and code cannot close its block', () => {
    const text = ['short', 'y'.repeat(7000), 'z'.repeat(2999), 'end'].join('\n');
    const parts = chunks(text, 3000);
    expect(parts.every((p) => p.length <= 3000)).toBe(true);
    expect(parts.join('').replace(/\n/g, '')).toBe(text.replace(/\n/g, ''));
    const code = codeSections(['a ``` b', '<!channel> & <@U1>']);
    expect(validateBlocks(code)).toEqual([]);
    const t = JSON.stringify(code);
    expect(t).not.toContain('a ``` b');
    expect(t).toContain('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });

  it('redacts every string in blocks', () => {
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: 'redis://:hunter2@cache:6379 and s3cret' } },
    ];
    expect(JSON.stringify(redactDeep(blocks, ['s3cret']))).not.toMatch(/hunter2|s3cret/);
  });
});

describe('button values', () => {
  it('round-trip and bind one approval of one incident', () => {
    const v = encodeButtonValue('INC-0007', 'INC-0007-approve-chown-running-1');
    expect(decodeButtonValue(v)).toEqual({
      v: 1,
      incident: 'INC-0007',
      approval: 'INC-0007-approve-chown-running-1',
    });
  });

  it('refuse anything malformed or mismatched', () => {
    for (const bad of [
      undefined,
      '',
      'approve',
      '{"v":1}',
      '{"v":2,"incident":"INC-0001","approval":"INC-0001-x-1"}',
      '{"v":1,"incident":"INC-0001","approval":"INC-0002-x-1"}',
      '{"v":1,"incident":"INC-0001; rm -rf /","approval":"INC-0001; rm -rf /-x"}',
      '{"v":1,"incident":"INC-0001","approval":"INC-0001-x-1","decision":"approve"}',
      'x'.repeat(5000),
    ])
      expect(decodeButtonValue(bad)).toBeNull();
  });
});
