import { describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../../src/incidents/ports.js';
import { advance, start } from '../../src/runbooks/index.js';
import { MemoryStore } from '../support/memory-store.js';
import { runNotifierContract } from '../support/notifier-contract.js';
import { RecordingNotifier } from '../support/recording-notifier.js';
import { slackNotifierOn } from '../support/slack-notifier-on.js';
import { toyRunbook, toyTarget } from '../support/toy-runbook.js';

const rb = toyRunbook();

runNotifierContract('RecordingNotifier', async () => {
  const notifier = new RecordingNotifier();
  return { notifier, shown: async () => [...notifier.shown], close: async () => undefined };
});

// The real Slack notifier against the local Slack: what is shown is read back from the messages the
// local Slack holds, each named by the ts the notifier recorded for it.
runNotifierContract('SlackNotifier', async (store) => {
  const { slack, notifier } = await slackNotifierOn(store);
  const shown = async () => {
    const rec = await store.load('INC-0001');
    const root = rec?.meta.rootTs;
    if (!rec || !root) return [];
    const byTs = new Map(
      Object.entries(rec.meta)
        .filter(([k]) => /^(card|findings)\./.test(k))
        .map(([k, ts]) => [ts, k.replace('.', ':')]),
    );
    const thread = slack.thread('C_INCIDENTS', root).flatMap((m) => {
      if (m.files?.some((f) => f.name === 'INC-0001.md')) return ['report'];
      const what = byTs.get(m.ts);
      return what ? [what] : [];
    });
    return [
      ...slack
        .messages('C_INCIDENTS')
        .filter((m) => m.ts === root)
        .map(() => 'root'),
      ...thread,
    ];
  };
  return { notifier, shown, close: () => slack.close() };
});

describe('the Slack notifier works from the record it is handed', () => {
  it('a status change and the finish of an incident whose root is posted read the store not once', async () => {
    const store = new MemoryStore();
    let loads = 0;
    const counted = Object.assign(Object.create(store), {
      load: (id: string) => {
        loads += 1;
        return store.load(id);
      },
    }) as MemoryStore;
    const { slack, notifier } = await slackNotifierOn(counted);
    try {
      const t = start(
        rb,
        { runId: 'INC-0001', target: toyTarget, startedBy: 'U_ON', approvalTtlMs: 60_000 },
        0,
      );
      await store.create(
        { id: 'INC-0001', targetName: 'cache', state: t.state, meta: { channel: 'C_INCIDENTS' } },
        [],
      );
      const first = (await store.load('INC-0001')) as IncidentRecord;
      await notifier.handle(first, { type: 'status', runId: 'INC-0001', status: 'diagnosing' });
      const cancelled = advance(t.state, { type: 'cancel', by: 'U_ON' }, 5, () => rb);
      await store.save('INC-0001', 1, cancelled.state, []);
      const rec = (await store.load('INC-0001')) as IncidentRecord;
      loads = 0;
      for (const c of cancelled.commands)
        if (c.type === 'status' || c.type === 'finish') await notifier.handle(rec, c);
      expect(cancelled.commands.map((c) => c.type)).toEqual(expect.arrayContaining(['status', 'finish']));
      expect(loads).toBe(0);
      expect(slack.thread('C_INCIDENTS', rec.meta.rootTs ?? '').some((m) => m.files?.length)).toBe(true);
    } finally {
      await slack.close();
    }
  });
});
