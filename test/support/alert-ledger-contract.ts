import { afterEach, describe, expect, it } from 'vitest';
import type { AlertLedger, LedgerKey } from '../../src/incidents/ports.js';

// The AlertLedger contract, one suite every ledger passes: the memory ledger the unit tests stand on
// must behave as the Redis ledger production stands on.

export interface LedgerUnderTest {
  ledger: AlertLedger;
  close(): Promise<void>;
}

const T0 = Date.UTC(2026, 11, 2, 3, 0, 0);
const key = (fingerprint: string, targetName = 'cache', runbookId = 'redis-connectivity'): LedgerKey => ({
  fingerprint,
  runbookId,
  targetName,
});

export function runAlertLedgerContract(name: string, make: () => Promise<LedgerUnderTest>): void {
  describe(`AlertLedger contract: ${name}`, () => {
    let open: LedgerUnderTest | undefined;
    const fresh = async () => {
      open = await make();
      return open.ledger;
    };
    afterEach(async () => {
      await open?.close();
      open = undefined;
    });
    const req = (k: LedgerKey, token: string, now = T0, perHour = 6) => ({ ...k, token, now, perHour });

    it('claims a new alert once; until bound it is busy, then known by its fingerprint', async () => {
      const l = await fresh();
      expect(await l.open(req(key('aa'), 't1'))).toEqual({ kind: 'claimed' });
      expect(await l.open(req(key('aa'), 't2'))).toEqual({ kind: 'busy', by: 'fingerprint' });
      expect(await l.open(req(key('bb'), 't3'))).toEqual({ kind: 'busy', by: 'pair' });
      expect(await l.incidentOf('aa')).toEqual({ kind: 'busy' });
      expect(await l.bind({ ...key('aa'), token: 't1', incidentId: 'INC-0001' })).toBe(true);
      expect(await l.open(req(key('aa'), 't4'))).toEqual({ kind: 'known', incidentId: 'INC-0001' });
      expect(await l.incidentOf('aa')).toEqual({ kind: 'incident', id: 'INC-0001' });
      expect(await l.incidentOf('cc')).toEqual({ kind: 'none' });
    });

    it('another fingerprint for the same runbook and target joins; it is linked once', async () => {
      const l = await fresh();
      await l.open(req(key('aa'), 't1'));
      await l.bind({ ...key('aa'), token: 't1', incidentId: 'INC-0001' });
      expect(await l.open(req(key('bb'), 't2'))).toEqual({ kind: 'joined', incidentId: 'INC-0001' });
      expect(await l.link('bb', 'INC-0001')).toBe(true);
      expect(await l.link('bb', 'INC-0001')).toBe(false);
      expect(await l.open(req(key('bb'), 't3'))).toEqual({ kind: 'known', incidentId: 'INC-0001' });
      // Another runbook on the same target, or the same runbook on another target, is its own pair.
      expect(await l.open(req(key('cc', 'cache', 'redis-permissions'), 't4'))).toEqual({ kind: 'claimed' });
      expect(await l.open(req(key('dd', 'session-store'), 't5'))).toEqual({ kind: 'claimed' });
    });

    it('forget removes only the incident it names', async () => {
      const l = await fresh();
      await l.open(req(key('aa'), 't1'));
      await l.bind({ ...key('aa'), token: 't1', incidentId: 'INC-0001' });
      await l.forget({ fingerprint: 'aa' }, 'INC-0009');
      await l.forget({ runbookId: 'redis-connectivity', targetName: 'cache' }, 'INC-0009');
      expect(await l.open(req(key('aa'), 't2'))).toEqual({ kind: 'known', incidentId: 'INC-0001' });
      await l.forget({ fingerprint: 'aa' }, 'INC-0001');
      expect(await l.open(req(key('aa'), 't3'))).toEqual({ kind: 'joined', incidentId: 'INC-0001' });
      await l.forget({ runbookId: 'redis-connectivity', targetName: 'cache' }, 'INC-0001');
      expect(await l.open(req(key('aa'), 't4'))).toEqual({ kind: 'claimed' });
    });

    it('an unclaimed claim frees the fingerprint, the pair and its place in the hour', async () => {
      const l = await fresh();
      expect(await l.open(req(key('aa'), 't1', T0, 1))).toEqual({ kind: 'claimed' });
      await l.unclaim({ ...key('aa'), token: 't1' });
      expect(await l.incidentOf('aa')).toEqual({ kind: 'none' });
      expect(await l.open(req(key('aa'), 't2', T0, 1))).toEqual({ kind: 'claimed' });
      // An old token gives back nothing that is not its own.
      await l.unclaim({ ...key('aa'), token: 't1' });
      expect(await l.open(req(key('aa'), 't3', T0, 1))).toEqual({ kind: 'busy', by: 'fingerprint' });
    });

    it('limits alert-started incidents per target within a sliding hour', async () => {
      const l = await fresh();
      for (let i = 0; i < 3; i++) {
        const k = key(`a${i}`, 'cache', `rb-${i}`);
        expect(await l.open(req(k, `t${i}`, T0 + i * 60_000, 3))).toEqual({ kind: 'claimed' });
        await l.bind({ ...k, token: `t${i}`, incidentId: `INC-000${i}` });
      }
      expect(await l.open(req(key('a9', 'cache', 'rb-9'), 'tx', T0 + 10 * 60_000, 3))).toEqual({
        kind: 'rate-limited',
        startedLastHour: 3,
      });
      // Another target has its own limit; an hour after the first start, one place is free again.
      expect(await l.open(req(key('b0', 'other', 'rb-9'), 'ty', T0 + 10 * 60_000, 3))).toEqual({
        kind: 'claimed',
      });
      expect(await l.open(req(key('a9', 'cache', 'rb-9'), 'tz', T0 + 60 * 60_000 + 1, 3))).toEqual({
        kind: 'claimed',
      });
    });

    it('of many claims at once, exactly one wins', async () => {
      const l = await fresh();
      const all = await Promise.all(
        Array.from({ length: 20 }, (_, i) => l.open(req(key(i % 2 ? 'aa' : 'bb'), `t${i}`))),
      );
      expect(all.filter((r) => r.kind === 'claimed')).toHaveLength(1);
      expect(all.filter((r) => r.kind === 'busy')).toHaveLength(19);
    });

    it('adopts an incident a person started: an alert for its pair joins it, one being opened is left alone', async () => {
      const l = await fresh();
      await l.adopt({
        incidentId: 'INC-0007',
        pairs: [{ runbookId: 'redis-connectivity', targetName: 'cache' }],
      });
      expect(await l.open(req(key('aa'), 't1'))).toEqual({ kind: 'joined', incidentId: 'INC-0007' });
      // A later start takes the pair over; a claim in flight for another pair is not overwritten.
      expect(await l.open(req(key('bb', 'db'), 't2'))).toEqual({ kind: 'claimed' });
      await l.adopt({
        incidentId: 'INC-0008',
        pairs: [
          { runbookId: 'redis-connectivity', targetName: 'cache' },
          { runbookId: 'redis-connectivity', targetName: 'db' },
        ],
      });
      expect(await l.open(req(key('cc'), 't3'))).toEqual({ kind: 'joined', incidentId: 'INC-0008' });
      expect(await l.open(req(key('dd', 'db'), 't4'))).toEqual({ kind: 'busy', by: 'pair' });
    });

    it('a handover moves the keys that named the incident it continues, and only those', async () => {
      const l = await fresh();
      expect(await l.open(req(key('aa'), 't1'))).toEqual({ kind: 'claimed' });
      await l.bind({ ...key('aa'), token: 't1', incidentId: 'INC-0001' });
      await l.link('bb', 'INC-0001');
      await l.link('cc', 'INC-0099');
      await l.adopt({
        incidentId: 'INC-0002',
        pairs: [{ runbookId: 'redis-auth', targetName: 'cache' }],
        moveFrom: {
          incidentId: 'INC-0001',
          fingerprints: ['aa', 'bb', 'cc', 'dd'],
          pairs: [{ runbookId: 'redis-connectivity', targetName: 'cache' }],
        },
      });
      expect(await l.incidentOf('aa')).toEqual({ kind: 'incident', id: 'INC-0002' });
      expect(await l.incidentOf('bb')).toEqual({ kind: 'incident', id: 'INC-0002' });
      expect(await l.incidentOf('cc')).toEqual({ kind: 'incident', id: 'INC-0099' });
      expect(await l.incidentOf('dd')).toEqual({ kind: 'none' });
      expect(await l.open(req(key('ee'), 't2'))).toEqual({ kind: 'joined', incidentId: 'INC-0002' });
      expect(await l.open(req(key('ff', 'cache', 'redis-auth'), 't3'))).toEqual({
        kind: 'joined',
        incidentId: 'INC-0002',
      });
    });
  });
}
