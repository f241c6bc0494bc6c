import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { mountAlertIntake } from '../../src/alert-webhook.js';
import { parseConfig } from '../../src/config.js';
import { catalogueOf } from '../../src/runbooks/index.js';
import { parseTargets } from '../../src/targets-file.js';
import { ALERT_CHANNEL, ALERT_TOKEN, alertHarness, alertPayload, T0 } from '../support/alert-harness.js';
import { toyRunbook } from '../support/toy-runbook.js';

// POST /alerts/alertmanager through the real HTTP route, the real intake and the real orchestrator
// (memory store and ledger, recording notifier): what each kind of notification does, and does not.
let h: Awaited<ReturnType<typeof alertHarness>> | undefined;
const open = async (o: Parameters<typeof alertHarness>[0] = {}) => {
  h = await alertHarness(o);
  return h;
};
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const FP2 = 'bb00000000000002';
const firing = (o: Parameters<typeof alertPayload>[0][number] = {}) => alertPayload([o]);
const resolved = (o: Parameters<typeof alertPayload>[0][number] = {}) =>
  alertPayload([{ status: 'resolved', ...o }]);
const notesOf = (x: NonNullable<typeof h>, id: string) =>
  x.notifier.seen.filter((s) => s.incident === id && s.command.type === 'post-note');

describe('POST /alerts/alertmanager refuses', () => {
  it('a missing or wrong token with 401, and starts nothing; the token is never logged', async () => {
    const x = await open();
    for (const auth of [
      null,
      'Bearer',
      `Basic ${ALERT_TOKEN}`,
      `Bearer ${ALERT_TOKEN.slice(0, -1)}`,
      `Bearer ${ALERT_TOKEN}x`,
      `Bearer  ${ALERT_TOKEN}`,
      `Bearer ${ALERT_TOKEN.toUpperCase()}`,
    ]) {
      const r = await x.post(firing(), auth);
      expect(r.status, String(auth)).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    }
    await x.intake.idle();
    expect(await x.incidents()).toEqual([]);
    expect(x.log.lines.filter((l) => l.msg === 'alert webhook refused')).toHaveLength(7);
    expect(JSON.stringify(x.log.lines)).not.toContain(ALERT_TOKEN.slice(0, 12));
    // The scheme is case-insensitive (RFC 7235); the token is not.
    expect((await x.post(firing(), `bearer ${ALERT_TOKEN}`)).status).toBe(200);
  });

  it('a body that is not an Alertmanager version 4 payload with 400, and starts nothing', async () => {
    const x = await open();
    for (const body of ['not json', '{}', JSON.stringify({ ...firing(), version: '3' }), '[]', '"4"']) {
      const r = await x.post(body);
      expect(r.status, body).toBe(400);
      expect(String(r.body.error)).toMatch(/not JSON|not an Alertmanager version 4 payload/);
    }
    await x.intake.idle();
    expect(await x.incidents()).toEqual([]);
  });

  it('a body over 1 MiB with 413, before anything reads it', async () => {
    const x = await open();
    const huge = JSON.stringify({ ...firing(), padding: 'x'.repeat(1024 * 1024) });
    expect((await x.post(huge)).status).toBe(413);
    expect((await x.post(huge, null)).status).toBe(413);
    expect(await x.incidents()).toEqual([]);
  });

  it('while the bot is not ready yet, with 503 and Retry-After, so Alertmanager delivers it again', async () => {
    const x = await open();
    x.gate.accepting = false;
    const r = await x.post(firing());
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('10');
    x.gate.accepting = true;
    expect((await x.deliver(firing())).status).toBe(200);
    expect(await x.incidents()).toHaveLength(1);
  });
});

describe('a firing alert', () => {
  it('is acknowledged at once and opens an incident in ALERT_CHANNEL with its alert on the root message and no starter', async () => {
    const x = await open();
    const r = await x.deliver(firing());
    expect(r).toMatchObject({ status: 200, body: { ok: true, alerts: 1, firing: 1, resolved: 0 } });
    const [inc] = await x.incidents();
    expect(inc?.meta).toEqual({
      channel: ALERT_CHANNEL,
      alertName: 'RedisDown',
      alertSeverity: 'critical',
      alertSummary: 'Redis cache does not answer the exporter',
      alertUrl: 'http://prometheus.lab:9090/graph?g0.expr=redis_rdb_last_bgsave_status+%3D%3D+0&g0.tab=1',
    });
    expect(inc?.state.startedBy).toBe('alertmanager:RedisDown');
    expect(inc?.state.runbookId).toBe('toy');
    expect(inc?.targetName).toBe('cache');
    expect(inc?.state.alerts).toEqual({
      aa00000000000001: {
        name: 'RedisDown',
        status: 'firing',
        startsAt: Date.UTC(2026, 11, 2, 3, 4, 5, 123),
        detectedAt: T0,
        opened: true,
      },
    });
    expect(inc?.state.timeline.slice(0, 3).map((e) => e.kind)).toEqual([
      'alert-firing',
      'alert-received',
      'started',
    ]);
    expect(x.notifier.shown[0]).toBe('root');
    expect(x.steps.length).toBeGreaterThan(0);
    expect(await x.counter('runbook_bot_incidents_started_total', { runbook: 'toy', source: 'alert' })).toBe(
      1,
    );
    expect(await x.counter('runbook_bot_alerts_received_total', { status: 'firing', matched: 'true' })).toBe(
      1,
    );
    expect(x.outcomes()).toEqual([
      {
        alert: 'RedisDown',
        fingerprint: 'aa00000000000001',
        status: 'firing',
        outcome: 'started',
        incident: inc?.id,
      },
    ]);
  });

  it('has no starter: any approver may approve, and nobody counts as having started it', async () => {
    const x = await open();
    await x.deliver(firing());
    const [inc] = await x.incidents();
    if (!inc) throw new Error('no incident');
    await x.answerSteps(inc.id);
    const a = Object.values((await x.store.load(inc.id))?.state.approvals ?? {})[0];
    expect(a?.status).toBe('pending');
    const r = await x.orchestrator.decide(inc.id, a?.id ?? '', 'approve', 'U_B');
    expect(r.ok).toBe(true);
  });

  it('the same payload 20 times at once opens one incident; the other 19 are counted as deduplicated', async () => {
    const x = await open();
    const rs = await Promise.all(Array.from({ length: 20 }, () => x.post(firing())));
    expect(rs.map((r) => r.status)).toEqual(Array(20).fill(200));
    await x.intake.idle();
    expect(await x.incidents()).toHaveLength(1);
    expect(await x.counter('runbook_bot_alerts_deduplicated_total')).toBe(19);
    expect(x.outcomes().filter((o) => o.outcome === 'started')).toHaveLength(1);
    // And again later (Alertmanager's repeat_interval): still one incident, and no note.
    await x.deliver(firing());
    expect(await x.incidents()).toHaveLength(1);
    expect(x.notifier.seen.filter((s) => s.command.type === 'post-note')).toEqual([]);
  });

  it('another alert (another fingerprint) for the open runbook and target is a note in its thread, once', async () => {
    const x = await open();
    await x.deliver(firing());
    const again = firing({ fingerprint: FP2, labels: { alertname: 'RedisAofWriteFailing' } });
    await Promise.all([x.post(again), x.post(again), x.post(again)]);
    await x.intake.idle();
    const all = await x.incidents();
    expect(all).toHaveLength(1);
    const id = all[0]?.id ?? '';
    const notes = notesOf(x, id);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.command).toMatchObject({
      text: expect.stringMatching(/^Alert RedisAofWriteFailing fired for this incident too/),
    });
    expect(x.notifier.shown).toContain(`note:alert.${FP2}.${Date.UTC(2026, 11, 2, 3, 4, 5, 123)}.firing`);
    expect(x.outcomes().map((o) => o.outcome)).toEqual(['started', 'noted', 'deduplicated', 'deduplicated']);
    // Its resolution goes to the same incident.
    await x.deliver(resolved({ fingerprint: FP2, labels: { alertname: 'RedisAofWriteFailing' } }));
    expect((await x.store.load(id))?.state.alerts?.[FP2]?.status).toBe('resolved');
    // Another target, or another runbook on it, is an incident of its own.
    await x.deliver(firing({ fingerprint: 'cc00000000000003', labels: { target: 'other' } }));
    expect(await x.incidents()).toHaveLength(2);
  });
});

describe('an incident the alert path did not open', () => {
  it('one a person started is the one an alert for its runbook and target joins', async () => {
    const x = await open();
    const mine = await x.orchestrator.start({
      runbookId: 'toy',
      targetName: 'cache',
      startedBy: 'U_ON',
      meta: { channel: 'C_OPS' },
    });
    if (!mine.ok) throw new Error('refused');
    await x.deliver(firing());
    expect((await x.incidents()).map((r) => r.id)).toEqual([mine.id]);
    expect(x.outcomes().map((o) => o.outcome)).toEqual(['noted']);
    expect(notesOf(x, mine.id)).toHaveLength(1);
    const rec = await x.store.load(mine.id);
    expect(rec?.state.startedBy).toBe('U_ON');
    expect(rec?.state.alerts?.aa00000000000001).toMatchObject({ name: 'RedisDown', status: 'firing' });
    // Its resolution is recorded there too; another runbook on the target is an incident of its own.
    await x.deliver(resolved());
    expect((await x.store.load(mine.id))?.state.alerts?.aa00000000000001?.status).toBe('resolved');
    await x.deliver(firing({ fingerprint: FP2, labels: { runbook: 'toy-next' } }));
    expect(await x.incidents()).toHaveLength(2);
  });

  it("a handover's incident carries the alert on: its root message, its clock, and what comes after", async () => {
    const x = await open();
    await x.deliver(firing());
    const first = (await x.incidents())[0];
    if (!first) throw new Error('no incident');
    await x.store.save(first.id, first.version, first.state, [
      { type: 'handover', runId: first.id, runbookId: 'toy-next' },
    ]);
    await x.orchestrator.flush(first.id);
    const next = (await x.incidents()).find((r) => r.state.runbookId === 'toy-next');
    if (!next) throw new Error('no handover');
    expect(next.meta).toMatchObject({
      channel: ALERT_CHANNEL,
      parent: first.id,
      alertName: 'RedisDown',
      alertSeverity: 'critical',
      alertSummary: 'Redis cache does not answer the exporter',
    });
    expect(next.state.startedBy).toBe('alertmanager:RedisDown');
    expect(next.state.alerts?.aa00000000000001).toMatchObject({
      opened: true,
      detectedAt: T0,
      startsAt: Date.UTC(2026, 11, 2, 3, 4, 5, 123),
    });
    // The alert's resolution, and another alert for the first runbook, land in the incident that goes on.
    await x.deliver(resolved());
    expect((await x.store.load(next.id))?.state.alerts?.aa00000000000001?.status).toBe('resolved');
    expect((await x.store.load(first.id))?.state.alerts?.aa00000000000001?.status).toBe('firing');
    await x.deliver(firing({ fingerprint: FP2, labels: { alertname: 'RedisAofWriteFailing' } }));
    expect(await x.incidents()).toHaveLength(2);
    expect((await x.store.load(next.id))?.state.alerts?.[FP2]?.name).toBe('RedisAofWriteFailing');
  });
});

describe('a resolved alert', () => {
  it('never runs anything: a timeline entry and a thread note, the waiting card says so, a person may still decide', async () => {
    const x = await open();
    await x.deliver(firing());
    const id = (await x.incidents())[0]?.id ?? '';
    await x.answerSteps(id);
    expect((await x.store.load(id))?.state.status).toBe('awaiting-approval');
    const before = x.steps.length;
    const r = await x.deliver(resolved({ endsAt: '2026-12-02T03:09:41.5Z' }));
    expect(r.body).toMatchObject({ alerts: 1, firing: 0, resolved: 1 });
    const rec = await x.store.load(id);
    expect(x.steps.length).toBe(before);
    expect(rec?.state.status).toBe('awaiting-approval');
    expect(rec?.state.alerts?.aa00000000000001).toMatchObject({
      status: 'resolved',
      resolvedAt: Date.UTC(2026, 11, 2, 3, 9, 41, 500),
    });
    const last = rec?.state.timeline.at(-1);
    expect(last).toMatchObject({ kind: 'alert-resolved' });
    expect(last?.text).toMatch(
      /^Alert RedisDown resolved at 2026-12-02 03:09:41 UTC\. The repair "fix it" still waits/,
    );
    expect(notesOf(x, id)).toHaveLength(1);
    expect(x.outcomes().at(-1)).toMatchObject({ outcome: 'noted', what: 'resolved', incident: id });
    expect(
      await x.counter('runbook_bot_alerts_received_total', { status: 'resolved', matched: 'true' }),
    ).toBe(1);
    // Delivered again: a repeat, nothing new.
    await x.deliver(resolved({ endsAt: '2026-12-02T03:09:41.5Z' }));
    expect(notesOf(x, id)).toHaveLength(1);
    const a = Object.values(rec?.state.approvals ?? {})[0];
    expect((await x.orchestrator.decide(id, a?.id ?? '', 'reject', 'U_A')).ok).toBe(true);
  });

  it('of an alert that opened nothing, is logged and does nothing', async () => {
    const x = await open();
    await x.deliver(resolved());
    expect(await x.incidents()).toEqual([]);
    expect(x.outcomes()).toEqual([expect.objectContaining({ outcome: 'no-incident', status: 'resolved' })]);
    expect(
      await x.counter('runbook_bot_alerts_received_total', { status: 'resolved', matched: 'false' }),
    ).toBe(1);
  });

  it('of an incident that has ended is still recorded, and its report filed again', async () => {
    const x = await open();
    await x.deliver(firing());
    const id = (await x.incidents())[0]?.id ?? '';
    await x.orchestrator.cancel(id, 'U_A');
    const filed = await x.reportStore.load(id);
    x.clock.now += 86_400_000;
    await x.deliver(resolved());
    const report = await x.reportStore.load(id);
    expect(report).not.toBe(filed);
    expect(report).toContain('Alert RedisDown resolved at 2026-12-02 03:09:00 UTC.');
    expect(report).toMatch(
      /^- `RedisDown` \(opened the incident\): .*, resolved 2026-12-02 03:09:00 UTC\.$/m,
    );
  });
});

describe('after its incident ended', () => {
  it('the alert firing again within the window is a note; after it, a new incident; a repeat never is', async () => {
    const x = await open({ reopenWindowMs: 10 * 60_000 });
    await x.deliver(firing());
    const id = (await x.incidents())[0]?.id ?? '';
    await x.orchestrator.cancel(id, 'U_A');
    await x.deliver(resolved());
    // Fires again 5 minutes after the incident ended: a note in the ended incident, no new run.
    x.clock.now += 5 * 60_000;
    await x.deliver(firing({ startsAt: '2026-12-02T03:09:50Z' }));
    expect(await x.incidents()).toHaveLength(1);
    expect(notesOf(x, id).map((n) => (n.command.type === 'post-note' ? n.command.text : ''))).toEqual([
      expect.stringMatching(/^Alert RedisDown resolved/),
      expect.stringMatching(/^Alert RedisDown fired again \(firing since .*\) after the incident had ended/),
    ]);
    // Alertmanager repeating that same firing long after the window: still not a new incident.
    x.clock.now += 60 * 60_000;
    await x.deliver(firing({ startsAt: '2026-12-02T03:09:50Z' }));
    expect(await x.incidents()).toHaveLength(1);
    // It resolves and fires again, long after the window: that is a new incident.
    await x.deliver(resolved({ startsAt: '2026-12-02T03:09:50Z', endsAt: '2026-12-02T04:00:00Z' }));
    x.clock.now = Date.UTC(2026, 11, 2, 5, 0, 30);
    await x.deliver(firing({ startsAt: '2026-12-02T05:00:00Z' }));
    const all = await x.incidents();
    expect(all).toHaveLength(2);
    expect(all[1]?.state.alerts?.aa00000000000001?.startsAt).toBe(Date.UTC(2026, 11, 2, 5, 0, 0));
  });
});

describe('the guard per target', () => {
  it('at most ALERT_RATE_PER_HOUR alert-started incidents per target per hour; the excess is logged and counted', async () => {
    const x = await open({ perHour: 2 });
    const fire = (n: number) =>
      x.deliver(firing({ fingerprint: `dd0000000000000${n}`, startsAt: `2026-12-02T03:0${n}:00Z` }));
    for (let n = 1; n <= 3; n++) {
      await fire(n);
      const last = (await x.incidents()).at(-1);
      if (last && last.state.status !== 'cancelled') await x.orchestrator.cancel(last.id, 'U_A');
      x.clock.now += 11 * 60_000; // past the reopen window, so only the limit holds the third back
    }
    expect(await x.incidents()).toHaveLength(2);
    expect(x.outcomes().at(-1)).toMatchObject({ outcome: 'rate-limited', startedLastHour: 2 });
    expect(await x.counter('runbook_bot_alerts_rate_limited_total')).toBe(1);
    expect(x.log.lines.find((l) => l.obj.outcome === 'rate-limited')).toBeDefined();
    // Another target is not held back by this one's limit; an hour later this one may start again.
    await x.deliver(firing({ fingerprint: 'ee00000000000001', labels: { target: 'other' } }));
    expect(await x.incidents()).toHaveLength(3);
    x.clock.now += 60 * 60_000;
    await fire(4);
    expect(await x.incidents()).toHaveLength(4);
  });
});

describe('an alert that matches nothing', () => {
  it('unknown runbook or target, metacharacters, no alertname: nothing starts, each logged with its reason and counted', async () => {
    const x = await open();
    const bad = [
      { labels: { runbook: 'nope' } },
      { labels: { target: 'nope' } },
      { labels: { target: 'cache; reboot' } },
      { labels: { runbook: 'toy$(reboot)' } },
      { labels: { instance: '`curl evil`' } },
      { labels: { alertname: 'Redis Down' } },
      { labels: { runbook: '__proto__' } },
    ];
    const r = await x.deliver(alertPayload(bad.map((b, i) => ({ ...b, fingerprint: `f${i}` }))));
    expect(r.body).toMatchObject({ ok: true, alerts: 7 });
    expect(await x.incidents()).toEqual([]);
    expect(x.steps).toEqual([]);
    expect(x.outcomes().map((o) => o.reason)).toEqual([
      'unknown-runbook',
      'unknown-target',
      'unsafe-label',
      'unsafe-label',
      'unsafe-label',
      'no-alertname',
      'unknown-runbook',
    ]);
    expect(x.log.lines.filter((l) => l.msg === 'alert unmatched')).toHaveLength(7);
    expect(await x.counter('runbook_bot_alerts_received_total', { status: 'firing', matched: 'false' })).toBe(
      7,
    );
    // A hostile value is never logged whole as a command could be: only which label held it.
    expect(JSON.stringify(x.outcomes())).not.toContain('curl evil');
  });

  it('in a group with alerts that do match: each alert on its own', async () => {
    const x = await open();
    await x.deliver(
      alertPayload([
        { fingerprint: 'a1', labels: { runbook: 'nope' } },
        { fingerprint: 'a2' },
        { fingerprint: 'a3', labels: { alertname: 'Other' } },
      ]),
    );
    expect(x.outcomes().map((o) => o.outcome)).toEqual(['unmatched', 'started', 'noted']);
    expect(await x.incidents()).toHaveLength(1);
  });
});

describe('mountAlertIntake (what serve() calls)', () => {
  const env = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'signing-secret-0123456789' };
  const targets = () => {
    const t = parseTargets(
      'targets:\n  cache:\n    redis:\n      docker: { container: qpp-redis }\n',
      't.yaml',
    );
    if (!t.ok) throw new Error(t.errors.join('\n'));
    return t.targets;
  };

  it('mounts POST /alerts/alertmanager only when ALERT_WEBHOOK_TOKEN is set', async () => {
    const x = await open();
    const mount = (extra: Record<string, string>) => {
      const parsed = parseConfig({ ...env, ...extra }, 'all');
      if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
      const routes: string[] = [];
      const intake = mountAlertIntake({
        http: { route: (method, path) => void routes.push(`${method} ${path}`) },
        config: parsed.config,
        redis: {} as Redis,
        orchestrator: x.orchestrator,
        targets: targets(),
        catalogue: catalogueOf([toyRunbook()]),
        metrics: x.metrics.alerts,
        accepting: () => true,
        log: x.log,
        ledger: x.ledger,
      });
      return { intake, routes };
    };
    expect(mount({})).toEqual({ intake: undefined, routes: [] });
    const on = mount({ ALERT_WEBHOOK_TOKEN: ALERT_TOKEN, ALERT_CHANNEL: 'C0123ALERTS' });
    expect(on.intake).toBeDefined();
    expect(on.routes).toEqual(['POST /alerts/alertmanager']);
    expect(JSON.stringify(x.log.lines)).not.toContain(ALERT_TOKEN);
  });
});
