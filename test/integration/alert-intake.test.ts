import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisFor } from '../../src/queue/connection.js';
import { RedisAlertLedger } from '../../src/queue/redis-alert-ledger.js';
import { RedisRunStore } from '../../src/queue/redis-run-store.js';
import { alertHarness, alertPayload } from '../support/alert-harness.js';
import { runAlertLedgerContract } from '../support/alert-ledger-contract.js';
import { BotRedis } from '../support/bot-redis.js';

// The alert ledger and the intake against a real redis-server: the ledger through the same suite as
// the memory one, then Alertmanager's deliveries through the real HTTP route of two bot processes
// (two intakes and orchestrators over one Redis), as Alertmanager in HA mode would send them.
let redis: BotRedis;
const connections: ReturnType<typeof redisFor>[] = [];
const connect = () => {
  const c = redisFor(redis.url, 'worker');
  connections.push(c);
  return c;
};
beforeAll(async () => {
  redis = await BotRedis.start();
});
afterAll(async () => {
  for (const c of connections) c.disconnect();
  await redis?.stop();
});

runAlertLedgerContract('RedisAlertLedger', async () => {
  const c = connect();
  return {
    ledger: new RedisAlertLedger(c, `rbba-${randomBytes(4).toString('hex')}`),
    close: async () => undefined,
  };
});

/** Two bot processes' intakes over one Redis and one key prefix. */
async function twoBots(o: { perHour?: number } = {}) {
  const prefix = `rbbi-${randomBytes(4).toString('hex')}`;
  const bot = async () => {
    const c = connect();
    return alertHarness({
      store: new RedisRunStore(c, prefix),
      ledger: new RedisAlertLedger(c, prefix),
      ...o,
    });
  };
  const bots = [await bot(), await bot()];
  return {
    bots,
    all: async () => (await bots[0]?.incidents()) ?? [],
    idle: () => Promise.all(bots.map((b) => b.intake.idle())),
    close: () => Promise.all(bots.map((b) => b.close())),
  };
}

describe('the alert intake over a real Redis', () => {
  it('the same payload 20 times at once, to two bot processes, opens exactly one incident', async () => {
    const t = await twoBots();
    try {
      const payload = alertPayload([{}]);
      const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => t.bots[i % 2]?.post(payload)));
      expect(rs.map((r) => r?.status)).toEqual(Array(20).fill(200));
      await t.idle();
      const all = await t.all();
      expect(all).toHaveLength(1);
      const outcomes = t.bots.flatMap((b) => b.outcomes().map((o) => o.outcome));
      expect(outcomes.filter((o) => o === 'started')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'deduplicated')).toHaveLength(19);
      const dedup = await Promise.all(t.bots.map((b) => b.counter('runbook_bot_alerts_deduplicated_total')));
      expect(dedup.reduce((a, b) => a + b, 0)).toBe(19);
      // The steps were dispatched once, by the process that opened it.
      const dispatched = t.bots.map((b) => b.steps.length);
      expect(dispatched.filter((n) => n > 0)).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('a second alert for the open pair is one note in its thread; resolved is a timeline entry and runs nothing', async () => {
    const t = await twoBots();
    try {
      const [a, b] = t.bots;
      if (!a || !b) throw new Error('no bots');
      await a.deliver(alertPayload([{}]));
      const id = (await t.all())[0]?.id ?? '';
      const second = alertPayload([
        { fingerprint: 'bb00000000000002', labels: { alertname: 'RedisAofWriteFailing' } },
      ]);
      await Promise.all([a.post(second), b.post(second), a.post(second), b.post(second)]);
      await t.idle();
      expect(await t.all()).toHaveLength(1);
      // Recorded once: one timeline entry, one note (either process may carry the outbox entry out,
      // and the Slack notifier posts a key once).
      const entries = (await a.store.load(id))?.state.timeline.filter((e) =>
        e.text.includes('RedisAofWriteFailing'),
      );
      expect(entries?.map((e) => e.kind)).toEqual(['alert-firing']);
      const notes = new Set(t.bots.flatMap((x) => x.notifier.shown.filter((w) => w.startsWith('note:'))));
      expect(notes.size).toBe(1);
      const stepsBefore = a.steps.length + b.steps.length;
      await Promise.all([
        a.post(alertPayload([{ status: 'resolved' }])),
        b.post(alertPayload([{ status: 'resolved' }])),
      ]);
      await t.idle();
      const rec = await a.store.load(id);
      expect(rec?.state.alerts?.aa00000000000001?.status).toBe('resolved');
      expect(rec?.state.timeline.filter((e) => e.kind === 'alert-resolved')).toHaveLength(1);
      expect(a.steps.length + b.steps.length).toBe(stepsBefore);
    } finally {
      await t.close();
    }
  });

  it('the hourly limit per target holds across processes', async () => {
    const t = await twoBots({ perHour: 3 });
    try {
      // Eight different alerts of eight runbook-target pairs would be eight incidents; the target allows 3.
      const payloads = Array.from({ length: 8 }, (_, i) =>
        alertPayload([{ fingerprint: `cc0000000000000${i}`, labels: { alertname: `Alert${i}` } }]),
      );
      // One pair (toy, cache) admits one open incident and the others would join it: cancel between rounds.
      for (const [i, p] of payloads.entries()) {
        await t.bots[i % 2]?.deliver(p);
        for (const r of await t.all())
          if (r.state.status !== 'cancelled') await t.bots[0]?.orchestrator.cancel(r.id, 'U_A');
        for (const bot of t.bots) bot.clock.now += 60_000;
      }
      expect(await t.all()).toHaveLength(3);
      const limited = t.bots.flatMap((b) => b.outcomes()).filter((o) => o.outcome === 'rate-limited');
      expect(limited).toHaveLength(5);
    } finally {
      await t.close();
    }
  });
});
