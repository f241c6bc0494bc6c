import { afterEach, describe, expect, it } from 'vitest';
import { parseAlertmanager } from '../../src/alerts/payload.js';
import { routeAlert } from '../../src/alerts/route.js';
import { ALERT_ENTRIES_MAX as ALERT_NOTES_MAX } from '../../src/runbooks/engine-alert.js';
import { ALERT_TOKEN, alertHarness, alertPayload, T0 } from '../support/alert-harness.js';

// What an adversarial try of the intake found, each kept as a test: an attacker with or without the
// token, and a messy production Alertmanager (huge groups, flapping, odd bytes and times).
let h: Awaited<ReturnType<typeof alertHarness>> | undefined;
const open = async (o: Parameters<typeof alertHarness>[0] = {}) => {
  h = await alertHarness(o);
  return h;
};
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const hex = (i: number) => (0x100000 + i).toString(16);
const notesOf = (x: NonNullable<typeof h>) =>
  x.notifier.seen
    .filter((s) => s.command.type === 'post-note')
    .map((s) => (s.command.type === 'post-note' ? s.command.text : ''));

describe('a payload Alertmanager may really send', () => {
  it('a group of 1,500 alerts (within 1 MiB) is taken whole: Alertmanager never retries a 400', async () => {
    const x = await open();
    const alerts = Array.from({ length: 1500 }, (_, i) => ({
      fingerprint: hex(i),
      labels: { alertname: `Other${i}`, runbook: 'nope' },
    }));
    alerts[700] = { fingerprint: hex(700), labels: { alertname: 'RedisDown', runbook: 'toy' } };
    const r = await x.deliver(alertPayload(alerts));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ alerts: 1500 });
    expect(await x.incidents()).toHaveLength(1);
    expect(x.outcomes()).toHaveLength(1500);
  });
});

describe('a 400', () => {
  it('never echoes a label name whole, nor its newlines or Slack markup, in its body or the log', () => {
    const p = alertPayload([{}]) as { alerts: Record<string, unknown>[] };
    p.alerts[0] = { ...p.alerts[0], labels: { ['k'.repeat(200_000)]: 1, '<!channel>\n$(reboot)': 2 } };
    const r = parseAlertmanager(JSON.stringify(p));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.length).toBeLessThan(1000);
    expect(r.error).not.toMatch(/\n|<!channel>|kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk/);
    expect(r.error).toContain('alerts.0.labels.');
  });

  it('answers a body that is not UTF-8, and starts nothing', async () => {
    const x = await open();
    const text = JSON.stringify(alertPayload([{ labels: { target: 'cacheXX' } }]));
    const [before, after] = text.split('XX');
    const body = Buffer.concat([
      Buffer.from(`${before}`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`${after}`),
    ]);
    const r = await fetch(x.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALERT_TOKEN}` },
      body,
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toBe('the body is not UTF-8');
    await x.intake.idle();
    expect(x.outcomes().filter((o) => 'outcome' in o)).toEqual([]);
    expect(await x.incidents()).toEqual([]);
  });

  it('refuses a date that does not exist rather than reading it as another day', () => {
    for (const t of ['2026-02-30T00:00:00Z', '2026-04-31T00:00:00Z', '2025-02-29T12:00:00Z']) {
      const r = parseAlertmanager(JSON.stringify(alertPayload([{ startsAt: t }])));
      expect(r.ok, t).toBe(false);
    }
    const leap = parseAlertmanager(JSON.stringify(alertPayload([{ startsAt: '2028-02-29T12:00:00Z' }])));
    expect(leap.ok && leap.payload.alerts[0]?.startsAt).toBe(Date.UTC(2028, 1, 29, 12));
  });
});

describe('a label that looks like a known name', () => {
  it('is refused, and the log shows the characters it really holds', () => {
    const table = { runbooks: ['toy'], targets: ['cache'], rules: [] };
    for (const t of ['c\u0430che', 'cache\u200b', '\u202ecache']) {
      const r = routeAlert({ alertname: 'RedisDown', runbook: 'toy', target: t }, table);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.detail, t).toMatch(/\\u(0430|200b|202e)/);
    }
  });
});

describe('many notifications for one incident', () => {
  it('hundreds of other alerts for its runbook and target: a bounded thread and a bounded state', async () => {
    const x = await open();
    await x.deliver(alertPayload([{}]));
    const alerts = Array.from({ length: 300 }, (_, i) => ({
      fingerprint: hex(i),
      labels: { alertname: `Key${i}` },
    }));
    await x.deliver(alertPayload(alerts));
    const [inc] = await x.incidents();
    expect(await x.incidents()).toHaveLength(1);
    const notes = notesOf(x);
    expect(notes.length).toBe(ALERT_NOTES_MAX - 1);
    expect(notes.at(-1)).toMatch(/later alert notifications are not posted here/i);
    expect(Object.keys(inc?.state.alerts ?? {}).length).toBeLessThanOrEqual(ALERT_NOTES_MAX);
    const entries = inc?.state.timeline.filter((e) => e.kind.startsWith('alert-')) ?? [];
    expect(entries.length).toBeLessThanOrEqual(ALERT_NOTES_MAX + 1);
    const outcomes = x.outcomes().map((o) => o.outcome);
    expect(outcomes.filter((o) => o === 'muted')).toHaveLength(300 - (ALERT_NOTES_MAX - 1));
    expect(await x.counter('runbook_bot_alerts_deduplicated_total')).toBe(300);
  });

  it('a flapping alert: its state stays current on the root message, its thread is not flooded', async () => {
    const x = await open();
    await x.deliver(alertPayload([{}]));
    const id = (await x.incidents())[0]?.id ?? '';
    for (let i = 1; i <= 40; i++) {
      x.clock.now = Date.UTC(2026, 11, 2, 4, i, 45);
      const startsAt = new Date(Date.UTC(2026, 11, 2, 4, i)).toISOString();
      const endsAt = new Date(Date.UTC(2026, 11, 2, 4, i, 30)).toISOString();
      await x.deliver(alertPayload([{ status: 'resolved', startsAt, endsAt }]));
      await x.deliver(alertPayload([{ startsAt: new Date(Date.UTC(2026, 11, 2, 4, i + 1)).toISOString() }]));
    }
    await x.deliver(
      alertPayload([
        { status: 'resolved', startsAt: '2026-12-02T04:41:00Z', endsAt: '2026-12-02T04:41:30Z' },
      ]),
    );
    expect(notesOf(x).length).toBe(ALERT_NOTES_MAX - 1);
    const rec = await x.store.load(id);
    // The last word is the truth: it resolved at 04:41:30, and the root message was told; its first
    // start stays what the incident's clock reads.
    expect(rec?.state.alerts?.aa00000000000001).toMatchObject({
      status: 'resolved',
      startsAt: Date.UTC(2026, 11, 2, 3, 4, 5, 123),
      latestStartsAt: Date.UTC(2026, 11, 2, 4, 41),
      resolvedAt: Date.UTC(2026, 11, 2, 4, 41, 30),
      opened: true,
    });
    const statusUpdates = x.notifier.seen.filter((s) => s.incident === id && s.command.type === 'status');
    expect(statusUpdates.length).toBeGreaterThan(40);
    expect(x.outcomes().filter((o) => o.outcome === 'muted').length).toBeGreaterThan(40);
  });
});

describe('times that cannot be believed', () => {
  it('a startsAt in the future, an endsAt in the future or before its startsAt: unset, so the clock stays in order', async () => {
    const x = await open();
    await x.deliver(alertPayload([{ startsAt: '9999-12-31T23:59:59Z' }]));
    const id = (await x.incidents())[0]?.id ?? '';
    let rec = await x.store.load(id);
    expect(rec?.state.alerts?.aa00000000000001?.startsAt).toBeUndefined();
    expect(rec?.state.timeline.every((e) => e.at <= x.clock.now)).toBe(true);
    // Repeated, it is the same alert; resolved with a garbage endsAt, it resolved when that arrived.
    await x.deliver(alertPayload([{ startsAt: '9999-12-31T23:59:59Z' }]));
    expect(x.outcomes().at(-1)).toMatchObject({ outcome: 'deduplicated' });
    x.clock.now += 60_000;
    await x.deliver(
      alertPayload([
        { status: 'resolved', startsAt: '9999-12-31T23:59:59Z', endsAt: '9999-12-31T23:59:59Z' },
      ]),
    );
    rec = await x.store.load(id);
    expect(rec?.state.alerts?.aa00000000000001).toMatchObject({
      status: 'resolved',
      resolvedAt: x.clock.now,
    });
    // An endsAt before its startsAt (a clock gone back, or a forged body) is not believed either.
    await x.deliver(alertPayload([{ fingerprint: 'bb00000000000002', labels: { alertname: 'Other' } }]));
    x.clock.now += 60_000;
    await x.deliver(
      alertPayload([
        {
          status: 'resolved',
          fingerprint: 'bb00000000000002',
          labels: { alertname: 'Other' },
          endsAt: '2026-12-02T03:00:00Z',
        },
      ]),
    );
    rec = await x.store.load(id);
    expect(rec?.state.alerts?.bb00000000000002?.resolvedAt).toBe(x.clock.now);
  });
});

describe('the alert that opened the incident, firing again', () => {
  it('keeps its first start and detection, which the incident clock reads; its repeats stay repeats', async () => {
    const x = await open();
    await x.deliver(alertPayload([{}]));
    const id = (await x.incidents())[0]?.id ?? '';
    x.clock.now += 10 * 60_000;
    await x.deliver(alertPayload([{ status: 'resolved', endsAt: '2026-12-02T03:14:00Z' }]));
    await x.deliver(alertPayload([{ startsAt: '2026-12-02T03:14:30Z' }]));
    await x.deliver(alertPayload([{ startsAt: '2026-12-02T03:14:30Z' }]));
    const rec = await x.store.load(id);
    expect(rec?.state.alerts?.aa00000000000001).toEqual({
      name: 'RedisDown',
      status: 'firing',
      startsAt: Date.UTC(2026, 11, 2, 3, 4, 5, 123),
      detectedAt: T0,
      opened: true,
      latestStartsAt: Date.UTC(2026, 11, 2, 3, 14, 30),
    });
    expect(x.outcomes().map((o) => o.outcome)).toEqual(['started', 'noted', 'noted', 'deduplicated']);
    expect(notesOf(x)).toHaveLength(2);
  });
});

describe('bodies built to hurt the parser', () => {
  it('deep nesting, inside an unknown field or a label: a clear answer, the process serving on', async () => {
    const x = await open();
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const unknown = `{"version":"4","status":"firing","alerts":[],"x":${deep(400_000)}}`;
    expect((await x.post(unknown)).status).toBe(200);
    const inLabels = JSON.stringify(alertPayload([{}])).replace(
      '"labels":{',
      `"labels":{"a":${deep(100_000)},`,
    );
    const r = await x.post(inLabels);
    expect(r.status).toBe(400);
    expect(String(r.body.error)).toContain('alerts.0.labels.a:');
    expect((await x.deliver(alertPayload([{}]))).status).toBe(200);
    expect(await x.incidents()).toHaveLength(1);
  });

  it('labels named like Object.prototype members route as any other name, never through the prototype', async () => {
    const x = await open();
    const p = JSON.stringify(alertPayload([{ labels: { runbook: 'nope' } }])).replace(
      '"runbook":"nope"',
      '"__proto__":{"runbook":"toy"},"constructor":"toy"',
    );
    // zod leaves a __proto__ key out of a record: the label is not there, and no prototype changes.
    expect((await x.deliver(p)).status).toBe(200);
    expect(x.outcomes().at(-1)).toMatchObject({ outcome: 'unmatched', reason: 'no-route' });
    expect(({} as Record<string, unknown>).runbook).toBeUndefined();
    const q = JSON.stringify(alertPayload([{}]))
      .replace('"runbook":"toy"', '"__proto__":"toy"')
      .replace('"target":"cache"', '"hasOwnProperty":"cache"');
    expect((await x.deliver(q)).status).toBe(200);
    expect(x.outcomes().at(-1)).toMatchObject({ outcome: 'unmatched', reason: 'no-route' });
    expect(await x.incidents()).toEqual([]);
  });
});
