import { afterEach, describe, expect, it } from 'vitest';
import type { IncidentRecord, RunStore } from '../../src/incidents/ports.js';
import { summaryOf } from '../../src/incidents/summary.js';
import type { EngineCommand, RunState } from '../../src/runbooks/index.js';
import { start } from '../../src/runbooks/index.js';
import { toyRunbook, toyTarget } from './toy-runbook.js';

// The RunStore contract, one suite every store passes (Hono's runTest shape): the memory store the
// unit tests stand on must behave as the Redis store production stands on.

export interface StoreUnderTest {
  store: RunStore;
  close(): Promise<void>;
}

const rb = toyRunbook();

function incident(
  id: string,
  startedAt: number,
): { record: Omit<IncidentRecord, 'version'>; commands: EngineCommand[] } {
  const t = start(rb, { runId: id, target: toyTarget, startedBy: 'U_ON', approvalTtlMs: 60_000 }, startedAt);
  return {
    record: { id, targetName: 'cache', state: t.state, meta: { channel: 'C1' } },
    commands: t.commands,
  };
}

const later = (s: RunState, at: number): RunState => ({ ...s, updatedAt: at });

export function runStoreContract(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`RunStore contract: ${name}`, () => {
    let open: StoreUnderTest | undefined;
    const fresh = async () => {
      open = await make();
      return open.store;
    };
    afterEach(async () => {
      await open?.close();
      open = undefined;
    });

    it('hands out incident ids INC-0001, INC-0002, … in order', async () => {
      const store = await fresh();
      expect([await store.nextId(), await store.nextId(), await store.nextId()]).toEqual([
        'INC-0001',
        'INC-0002',
        'INC-0003',
      ]);
    });

    it('loads what it created, at version 1, and nothing for an unknown id', async () => {
      const store = await fresh();
      const { record, commands } = incident('INC-0001', 1_000);
      await store.create(record, commands);
      expect(await store.load('INC-0001')).toEqual({ ...record, version: 1 });
      expect(await store.load('INC-0404')).toBeNull();
    });

    it('saves only over the version it was read at, and bumps it', async () => {
      const store = await fresh();
      const { record, commands } = incident('INC-0001', 1_000);
      await store.create(record, commands);
      expect(await store.save('INC-0001', 1, later(record.state, 2_000), [])).not.toBeNull();
      expect(await store.save('INC-0001', 1, later(record.state, 3_000), [])).toBeNull();
      const now = await store.load('INC-0001');
      expect(now?.version).toBe(2);
      expect(now?.state.updatedAt).toBe(2_000);
    });

    it('queues commands with the write that made them; ack takes exactly those out', async () => {
      const store = await fresh();
      const { record, commands } = incident('INC-0001', 1_000);
      await store.create(record, commands);
      const first = await store.outbox('INC-0001');
      expect(first.map((e) => e.command)).toEqual(commands);
      expect(new Set(first.map((e) => e.seq)).size).toBe(first.length);
      expect(await store.pendingOutboxes()).toEqual(['INC-0001']);
      const status: EngineCommand = { type: 'status', runId: 'INC-0001', status: 'diagnosing' };
      await store.save('INC-0001', 1, later(record.state, 2_000), [status]);
      await store.ack('INC-0001', first);
      expect((await store.outbox('INC-0001')).map((e) => e.command)).toEqual([status]);
      await store.ack('INC-0001', await store.outbox('INC-0001'));
      expect(await store.outbox('INC-0001')).toEqual([]);
      expect(await store.pendingOutboxes()).toEqual([]);
    });

    it('create and save return the outbox as it then stands: what earlier writes left, then their own', async () => {
      const store = await fresh();
      const { record, commands } = incident('INC-0001', 1_000);
      const created = await store.create(record, commands);
      expect(created.map((e) => e.command)).toEqual(commands);
      expect(created).toEqual(await store.outbox('INC-0001'));
      const status: EngineCommand = { type: 'status', runId: 'INC-0001', status: 'diagnosing' };
      await store.ack('INC-0001', created.slice(1));
      const saved = await store.save('INC-0001', 1, later(record.state, 2_000), [status]);
      expect(saved?.map((e) => e.command)).toEqual([commands[0], status]);
      expect(saved).toEqual(await store.outbox('INC-0001'));
    });

    it('what load returns cannot change what the store holds', async () => {
      const store = await fresh();
      const { record } = incident('INC-0001', 1_000);
      await store.create(record, []);
      const r = await store.load('INC-0001');
      if (!r) throw new Error('not created');
      try {
        // A store may hand out frozen records (then this throws) or copies; either way it holds its own.
        (r.state as { status: string }).status = 'resolved';
        r.state.timeline.push({ at: 9, kind: 'finished', text: 'forged' });
      } catch {}
      expect((await store.load('INC-0001'))?.state).toEqual(record.state);
    });

    it('lists summaries derived from the latest state, with the meta', async () => {
      const store = await fresh();
      const { record } = incident('INC-0001', 1_000);
      await store.create(record, []);
      await store.setMeta('INC-0001', { rootTs: '1.1' });
      const ended: RunState = {
        ...record.state,
        status: 'cancelled',
        endedAt: 5_000,
        timeline: [...record.state.timeline, { at: 5_000, kind: 'cancelled', text: 'Cancelled by U_ON' }],
      };
      await store.save('INC-0001', 1, ended, []);
      expect(await store.recent(5)).toEqual([
        {
          id: 'INC-0001',
          targetName: 'cache',
          meta: { channel: 'C1', rootTs: '1.1' },
          summary: summaryOf(ended),
        },
      ]);
      expect(summaryOf(ended)).toMatchObject({
        status: 'cancelled',
        endedAt: 5_000,
        last: { at: 5_000, text: 'Cancelled by U_ON' },
      });
    });

    it('a refused save queues nothing', async () => {
      const store = await fresh();
      const { record } = incident('INC-0001', 1_000);
      await store.create(record, []);
      const status: EngineCommand = { type: 'status', runId: 'INC-0001', status: 'diagnosing' };
      expect(await store.save('INC-0001', 7, record.state, [status])).toBeNull();
      expect(await store.outbox('INC-0001')).toEqual([]);
    });

    it('merges meta patches and keeps the state as it was', async () => {
      const store = await fresh();
      const { record } = incident('INC-0001', 1_000);
      await store.create(record, []);
      await store.setMeta('INC-0001', { rootTs: '1.1' });
      await store.setMeta('INC-0001', { 'card.INC-0001-g-1': '1.2' });
      const r = await store.load('INC-0001');
      expect(r?.meta).toEqual({ channel: 'C1', rootTs: '1.1', 'card.INC-0001-g-1': '1.2' });
      expect(r?.state).toEqual(record.state);
    });

    it('keeps every one of many meta patches made at once, and the writes of the state between them', async () => {
      // The posts of one incident note their messages while its state is written and the approval
      // handler notes a card: a patch lost here is a Slack message never updated again.
      const store = await fresh();
      const { record } = incident('INC-0001', 1_000);
      await store.create(record, []);
      const keys = Array.from({ length: 12 }, (_, i) => `card.INC-0001-g-${i}` as const);
      await Promise.all([
        ...keys.map((k, i) => store.setMeta('INC-0001', { [k]: `1.${i}` })),
        store.save('INC-0001', 1, record.state, []),
      ]);
      const r = await store.load('INC-0001');
      for (const [i, k] of keys.entries()) expect(r?.meta[k]).toBe(`1.${i}`);
      expect(r?.version).toBe(2);
    });

    it('a claim is granted once until it is released', async () => {
      const store = await fresh();
      expect(await store.claim('k', 60)).toBe(true);
      expect(await store.claim('k', 60)).toBe(false);
      await store.release('k');
      expect(await store.claim('k', 60)).toBe(true);
      expect(await store.claim('other', 60)).toBe(true);
    });

    it('lists the most recently started first, up to the limit', async () => {
      const store = await fresh();
      for (const [i, id] of ['INC-0001', 'INC-0002', 'INC-0003'].entries()) {
        const { record } = incident(id, 1_000 * (i + 1));
        await store.create(record, []);
      }
      expect((await store.recent(2)).map((r) => r.id)).toEqual(['INC-0003', 'INC-0002']);
      expect((await store.recent(10)).map((r) => r.id)).toEqual(['INC-0003', 'INC-0002', 'INC-0001']);
    });
  });
}
