import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OwnRedis } from '@runbook-bot/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_PATH, mountAlertIntake } from '../../src/alert-webhook.js';
import { parseAlertmanager } from '../../src/alerts/payload.js';
import { startHttpServer } from '../../src/bot/http-server.js';
import { parseConfig } from '../../src/config.js';
import { redisFor } from '../../src/queue/connection.js';
import { RedisAlertInbox } from '../../src/queue/redis-alert-inbox.js';
import { RedisAlertLedger } from '../../src/queue/redis-alert-ledger.js';
import { RedisRunStore } from '../../src/queue/redis-run-store.js';
import { catalogueOf } from '../../src/runbooks/index.js';
import { parseTargets } from '../../src/targets-file.js';
import { ALERT_TOKEN, alertHarness, alertPayload, T0 } from '../support/alert-harness.js';
import { runAlertLedgerContract } from '../support/alert-ledger-contract.js';
import { BotRedis } from '../support/bot-redis.js';
import { toyRunbook } from '../support/toy-runbook.js';

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
async function twoBots(o: { perHour?: number; claimTtlMs?: number } = {}) {
  const prefix = `rbbi-${randomBytes(4).toString('hex')}`;
  const bot = async () => {
    const c = connect();
    return alertHarness({
      store: new RedisRunStore(c, prefix),
      ledger: new RedisAlertLedger(c, prefix, o.claimTtlMs ? { claimTtlMs: o.claimTtlMs } : {}),
      inbox: new RedisAlertInbox(c, prefix, randomUUID),
      ...(o.perHour ? { perHour: o.perHour } : {}),
    });
  };
  const inbox = new RedisAlertInbox(connect(), prefix, randomUUID);
  const bots = [await bot(), await bot()];
  return {
    bots,
    inbox,
    /** What the inbox still holds: nothing once every notification is settled. */
    kept: () => inbox.due(Number.MAX_SAFE_INTEGER, 100),
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
      // Every delivery was kept before its answer and dropped once settled.
      expect(await t.kept()).toEqual([]);
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

describe('the intake when a process dies or its Redis goes away', () => {
  it('killed after the answer, before any work: the notification was kept, and another process sweeps it up', async () => {
    const t = await twoBots();
    try {
      const [, b] = t.bots;
      if (!b) throw new Error('no bots');
      // What the webhook of a process does before it answers 200; then that process dies.
      await t.inbox.keep(JSON.stringify(alertPayload([{}])), T0);
      b.clock.now = T0 + 30_000;
      expect(await b.intake.sweep()).toBe(0); // not left behind yet: its process may still be on it
      b.clock.now = T0 + 61_000;
      expect(await b.intake.sweep()).toBe(1);
      const all = await t.all();
      expect(all).toHaveLength(1);
      expect(all[0]?.state.alerts?.aa00000000000001?.detectedAt).toBe(T0);
      expect(await t.kept()).toEqual([]);
      expect(b.log.lines.some((l) => l.msg === 'alert notification left behind: worked on again')).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('killed between its claim and starting the incident: the kept notification is tried again until the claim lapses', async () => {
    const t = await twoBots({ claimTtlMs: 1500 });
    try {
      const [a, b] = t.bots;
      if (!a || !b) throw new Error('no bots');
      await t.inbox.keep(JSON.stringify(alertPayload([{}])), T0);
      const key = { fingerprint: 'aa00000000000001', runbookId: 'toy', targetName: 'cache' };
      expect(await a.ledger.open({ ...key, token: randomUUID(), now: T0, perHour: 6 })).toEqual({
        kind: 'claimed',
      });
      b.clock.now = T0 + 61_000;
      expect(await b.intake.sweep()).toBe(1);
      expect(b.outcomes().at(-1)).toMatchObject({
        outcome: 'deduplicated',
        why: 'its incident is being opened',
      });
      expect(await t.kept()).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1600));
      expect(await b.intake.sweep()).toBe(1);
      expect(await t.all()).toHaveLength(1);
      expect(b.outcomes().at(-1)).toMatchObject({ outcome: 'started' });
      expect(await t.kept()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('a Redis that takes no writes: the webhook cannot keep the notification and answers 503 within 2 s', async () => {
    const t = await twoBots();
    const admin = connect();
    try {
      const [a] = t.bots;
      if (!a) throw new Error('no bots');
      await admin.call('CLIENT', 'PAUSE', '3000', 'WRITE');
      const began = Date.now();
      const r = await a.post(alertPayload([{}]));
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('10');
      expect(Date.now() - began).toBeLessThan(2900);
      await admin.call('CLIENT', 'UNPAUSE');
      await a.intake.idle();
      expect(await t.all()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('killed between its claim and the bind: the repeat after the claim lapses joins that incident, not a second one', async () => {
    const t = await twoBots({ claimTtlMs: 300 });
    try {
      const [a, b] = t.bots;
      if (!a || !b) throw new Error('no bots');
      const key = { fingerprint: 'aa00000000000001', runbookId: 'toy', targetName: 'cache' };
      // Process a claims the alert and starts its incident, and dies before it binds the claim.
      const token = randomUUID();
      expect(await a.ledger.open({ ...key, token, now: T0, perHour: 6 })).toEqual({ kind: 'claimed' });
      const started = await a.orchestrator.start({
        runbookId: 'toy',
        targetName: 'cache',
        startedBy: 'alertmanager:RedisDown',
        meta: { channel: 'C_ALERTS', alertName: 'RedisDown' },
        source: 'alert',
        alert: { fingerprint: key.fingerprint, name: 'RedisDown', detectedAt: T0 },
      });
      if (!started.ok) throw new Error('refused');
      // After the claim lapses, Alertmanager's repeat (to b) finds the incident a started.
      await new Promise((r) => setTimeout(r, 400));
      await b.deliver(alertPayload([{}]));
      expect((await t.all()).map((r) => r.id)).toEqual([started.id]);
      expect(await b.ledger.incidentOf(key.fingerprint)).toEqual({ kind: 'incident', id: started.id });
      // Another alert for the pair joins it too, as one note.
      await b.deliver(alertPayload([{ fingerprint: 'bb00000000000002', labels: { alertname: 'Other' } }]));
      expect((await t.all()).map((r) => r.id)).toEqual([started.id]);
      expect(b.outcomes().at(-1)).toMatchObject({ outcome: 'noted', incident: started.id });
    } finally {
      await t.close();
    }
  });

  it('killed after its claim, before it started anything: the repeat after the claim lapses opens the incident', async () => {
    const t = await twoBots({ claimTtlMs: 300 });
    try {
      const [a, b] = t.bots;
      if (!a || !b) throw new Error('no bots');
      const key = { fingerprint: 'aa00000000000001', runbookId: 'toy', targetName: 'cache' };
      await a.ledger.open({ ...key, token: randomUUID(), now: T0, perHour: 6 });
      await new Promise((r) => setTimeout(r, 400));
      await b.deliver(alertPayload([{}]));
      expect(await t.all()).toHaveLength(1);
      expect(b.outcomes().at(-1)).toMatchObject({ outcome: 'started' });
    } finally {
      await t.close();
    }
  });

  it('while its Redis is down the webhook answers 503 (Alertmanager retries), and takes the alert once it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbb-alert-redis-'));
    let own = await OwnRedis.start(dir);
    const c = redisFor(own.url, 'worker');
    c.on('error', () => undefined);
    const prefix = `rbbd-${randomBytes(4).toString('hex')}`;
    const x = await alertHarness({ store: new RedisRunStore(c, prefix) });
    const http = await startHttpServer({ port: 0, ready: async () => ({}), log: x.log });
    try {
      const parsed = parseConfig(
        {
          SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
          SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
          ALERT_WEBHOOK_TOKEN: ALERT_TOKEN,
          ALERT_CHANNEL: 'C0123ALERTS',
          QUEUE_PREFIX: prefix,
        },
        'all',
      );
      if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
      const targets = parseTargets(
        'targets:\n  cache:\n    redis:\n      docker: { container: c }\n',
        't.yaml',
      );
      if (!targets.ok) throw new Error(targets.errors.join('\n'));
      const intake = mountAlertIntake({
        http,
        config: parsed.config,
        redis: c,
        orchestrator: x.orchestrator,
        targets: targets.targets,
        catalogue: catalogueOf([toyRunbook()]),
        metrics: x.metrics.alerts,
        accepting: () => true,
        log: x.log,
      });
      const post = () =>
        fetch(`http://127.0.0.1:${http.port}${ALERT_PATH}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ALERT_TOKEN}` },
          body: JSON.stringify(alertPayload([{}])),
        });
      await own.stop();
      for (let i = 0; i < 50 && c.status === 'ready'; i++) await new Promise((r) => setTimeout(r, 20));
      const down = await post();
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('10');
      expect(((await down.json()) as { error: string }).error).toMatch(/Redis is not connected/);
      own = await OwnRedis.start(dir, own.port);
      for (let i = 0; i < 200 && c.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 25));
      expect((await post()).status).toBe(200);
      await intake?.idle();
      expect(await x.incidents()).toHaveLength(1);
      // It was kept in the inbox before the answer, and dropped once settled.
      expect(await c.zcard(`${prefix}:alert:inbox`)).toBe(0);
      expect(await c.keys(`${prefix}:alert:inbox:*`)).toEqual([]);
      expect(JSON.stringify(x.log.lines)).not.toContain(ALERT_TOKEN);
    } finally {
      await http.close();
      await x.close();
      c.disconnect();
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('acknowledged just before its Redis went away: the alert waits, and opens its incident once Redis is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rbb-alert-redis-'));
    let own = await OwnRedis.start(dir);
    const c = redisFor(own.url, 'worker');
    c.on('error', () => undefined);
    const prefix = `rbbm-${randomBytes(4).toString('hex')}`;
    const x = await alertHarness({
      store: new RedisRunStore(c, prefix),
      ledger: new RedisAlertLedger(c, prefix),
    });
    try {
      await own.stop();
      const parsed = parseAlertmanager(JSON.stringify(alertPayload([{}])));
      if (!parsed.ok) throw new Error(parsed.error);
      x.intake.accept(parsed.payload, T0);
      await new Promise((r) => setTimeout(r, 500));
      own = await OwnRedis.start(dir, own.port);
      await x.intake.idle();
      expect(await x.incidents()).toHaveLength(1);
      expect(x.outcomes().at(-1)).toMatchObject({ outcome: 'started' });
    } finally {
      await x.close();
      c.disconnect();
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
