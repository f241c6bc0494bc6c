import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../support/memory-store.js';
import { CHANNEL, type SlackWorld, slackWorld } from '../support/slack-world.js';
import { res, toyRunbook, toyTarget } from '../support/toy-runbook.js';

// Nothing but the request's own checks stands between it and its acknowledgement: no call to Slack.
// Bolt 5, given a token with its start-up auth.test turned off, calls auth.test before the listeners
// of every request; the edge's own authorize answers from what its one auth.test found.

let world: SlackWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const authTests = (w: SlackWorld) => w.slack.store.calls.filter((c) => c.method === 'auth.test').length;

describe('the Slack edge between a request and its ack', () => {
  it('calls auth.test once, when it connects, and never for a command or a click', async () => {
    const w = await slackWorld(toyRunbook(), [toyTarget]);
    world = w;
    // Connected: the edge's own auth.test has been answered (calls are recorded, not announced).
    for (let i = 0; authTests(w) === 0; i++) {
      if (i > 200) throw new Error('the edge never called auth.test');
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await w.command('run toy cache', 'U_ALICE')).toMatch(/Started \*INC-0001\*/);
    await w.answer('INC-0001', (job) => res(job.stepId === 'b' ? 'bad' : 'fine'));
    expect(await w.command('status', 'U_ALICE')).toMatch(/INC-0001/);
    expect(await w.command('list', 'U_ALICE')).toMatch(/INC-0001/);
    const approvalId = Object.keys((await w.store.load('INC-0001'))?.state.approvals ?? {})[0] ?? '';
    expect(await w.click('INC-0001', approvalId, 'approve', 'U_ALICE')).toMatch(
      /may not|cannot|not allowed/i,
    );
    // The incident's posts went through the same client: that is not what stood in front of the acks.
    expect(w.slack.messages(CHANNEL).length).toBeGreaterThan(0);
    expect(authTests(w)).toBe(1);
  }, 20_000);

  it('warms the ack path at start with requests answered in the ack: nothing reaches Slack or the store', async () => {
    const lines: { msg: string; obj: object }[] = [];
    const keep = (obj: object, msg = '') => void lines.push({ msg, obj });
    const log = { info: keep, warn: keep, error: keep };
    const store = new MemoryStore();
    const w = await slackWorld(toyRunbook(), [toyTarget], store, log);
    world = w;
    for (let i = 0; !lines.some((l) => l.msg === 'ack path warmed'); i++) {
      if (i > 200) throw new Error(`never warmed: ${JSON.stringify(lines)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(lines.find((l) => l.msg === 'ack path warmed')?.obj).toEqual({ acked: 2 });
    expect(lines.filter((l) => l.msg !== 'ack path warmed')).toEqual([]);
    expect(w.slack.store.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect(w.slack.store.responses).toEqual([]);
    expect(store.records.size).toBe(0);
  });
});
