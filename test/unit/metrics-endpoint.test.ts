import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpServer, startHttpServer } from '../../src/bot/http-server.js';
import { IncidentReports } from '../../src/incidents/incident-reports.js';
import { Orchestrator } from '../../src/incidents/orchestrator.js';
import type { Dispatcher } from '../../src/incidents/ports.js';
import {
  APPROVAL_BUCKETS,
  type BotMetrics,
  createMetrics,
  type JobCounts,
  STEP_BUCKETS,
} from '../../src/metrics.js';
import { catalogueOf, type ExecResult, TERMINAL } from '../../src/runbooks/index.js';
import { MemoryReportStore } from '../support/memory-report-store.js';
import { MemoryStore } from '../support/memory-store.js';
import { MemoryLog } from '../support/orchestration.js';
import { type Family, histogramSeries, parsePromText, sampleValue } from '../support/prom-text.js';
import { result, toyRunbook, toyTarget } from '../support/toy-runbook.js';

// Incidents run through the orchestrator over an in-memory store, then GET /metrics is read the way
// Prometheus reads it: the text is parsed, and its families, label sets and histograms checked.
const rb = toyRunbook();
let clock = 1_000_000;
const store = new MemoryStore();
const log = new MemoryLog();
let queueDown: 'no' | 'error' | 'hang' = 'no';
const queue = (name: string, waiting: number): JobCounts => ({
  name,
  getJobCounts: () =>
    queueDown === 'error'
      ? Promise.reject(new Error('Connection is closed.'))
      : queueDown === 'hang'
        ? new Promise(() => undefined)
        : Promise.resolve({ waiting, active: 1, completed: 7, failed: 0, delayed: 0 }),
});
let storeDown = false;
const metrics: BotMetrics = createMetrics({
  log,
  runbooks: ['toy'],
  queues: [queue('diagnosis', 2), queue('repair', 0), queue('events', 3)],
  recentIncidents: (n) => (storeDown ? Promise.reject(new Error('redis down')) : store.recent(n)),
  collectTimeoutMs: 100,
});
const noQueue: Dispatcher = { enqueueStep: async () => undefined, enqueueEvent: async () => undefined };
const o = new Orchestrator({
  store,
  dispatcher: noQueue,
  notifier: { handle: async () => undefined },
  targets: { view: (n) => (n === 'cache' ? toyTarget : undefined), names: () => ['cache'] },
  catalogue: catalogueOf([rb]),
  reports: new IncidentReports({
    runbooks: () => rb,
    store: new MemoryReportStore(),
    secrets: () => [],
    now: () => clock,
  }),
  policy: { approvers: ['U_A'], allowSelfApproval: false },
  approvalTtlMs: 3_600_000,
  now: () => clock,
  log,
  metrics: metrics.incidents,
});

/** Answers every running step `ms` after the last write; round 1's step b finds the fault. */
async function answerSteps(id: string, ms: number) {
  for (let i = 0; i < 20; i++) {
    const running = Object.values((await store.load(id))?.state.steps ?? {}).filter(
      (r) => r.status === 'running',
    );
    if (running.length === 0) return;
    clock += ms;
    for (const r of running) {
      const out: ExecResult[] =
        r.kind === 'repair'
          ? r.actions.map(() => result('ok'))
          : [result(r.kind === 'verify' ? 'good' : r.stepId === 'b' && r.round === 1 ? 'bad' : 'fine')];
      await o.apply(id, { type: 'step-result', stepKey: r.key, attempt: r.attempt, results: out });
    }
  }
}

async function approvalOf(id: string) {
  const a = Object.values((await store.load(id))?.state.approvals ?? {}).find((x) => x.status === 'pending');
  if (!a) throw new Error(`${id} waits for no approval`);
  return a;
}

let http: HttpServer;
const scrape = async () => {
  const r = await fetch(`http://127.0.0.1:${http.port}/metrics`);
  return { status: r.status, type: r.headers.get('content-type'), families: parsePromText(await r.text()) };
};
const family = (f: Map<string, Family>, name: string) => {
  const x = f.get(name);
  if (!x) throw new Error(`no family ${name}`);
  return x;
};

beforeAll(async () => {
  http = await startHttpServer({ port: 0, ready: async () => ({}), log });
  http.route('GET', '/metrics', metrics.route);
  // One incident resolved: probes 200 ms each, approved after 90 s, repaired and verified.
  const first = await o.start({ runbookId: 'toy', targetName: 'cache', startedBy: 'U_ON' });
  if (!first.ok) throw new Error('not started');
  await answerSteps(first.id, 200);
  clock += 90_000;
  await o.decide(first.id, (await approvalOf(first.id)).id, 'approve', 'U_A');
  await answerSteps(first.id, 3_000);
  expect((await store.load(first.id))?.state.status).toBe('resolved');
  // One expired unanswered (its TTL is an hour), one still waiting for a person.
  for (const waits of [true, false]) {
    const s = await o.start({ runbookId: 'toy', targetName: 'cache', startedBy: 'U_ON' });
    if (!s.ok) throw new Error('not started');
    await answerSteps(s.id, 200);
    if (!waits) continue;
    const a = await approvalOf(s.id);
    clock = a.expiresAt + 1;
    await o.apply(s.id, { type: 'approval-expired', approvalId: a.id });
  }
});
afterAll(() => http.close());

describe('GET /metrics', () => {
  it('is the Prometheus text format: every family typed and described, every name the bot’s own', async () => {
    const { status, type, families } = await scrape();
    expect(status).toBe(200);
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const f of families.values()) {
      expect(f.name).toMatch(/^runbook_bot_[a-z0-9_]+$/);
      expect(f.help, f.name).not.toBe('');
      expect(f.type, f.name).not.toBe('untyped');
      if (f.type === 'counter') expect(f.name).toMatch(/_total$/);
      if (f.type === 'histogram') histogramSeries(f);
    }
    // Default process metrics, under the bot's prefix.
    expect(family(families, 'runbook_bot_process_cpu_seconds_total').type).toBe('counter');
    expect(family(families, 'runbook_bot_nodejs_eventloop_lag_seconds').type).toBe('gauge');
  });

  it('never labels by incident, person or target', async () => {
    const { families } = await scrape();
    for (const f of families.values())
      for (const s of f.samples) {
        expect(Object.keys(s.labels).filter((l) => /incident|user|by|target|id$/.test(l))).toEqual([]);
        expect(Object.values(s.labels).filter((v) => /^(INC-|U_)|^cache$/.test(v))).toEqual([]);
      }
  });

  it('counts incidents by outcome and start by source, every known series present from zero', async () => {
    const { families } = await scrape();
    const ended = family(families, 'runbook_bot_incidents_total');
    expect(ended.type).toBe('counter');
    expect(ended.samples.map((s) => s.labels.outcome).sort()).toEqual([...TERMINAL].sort());
    expect(ended.samples.every((s) => Object.keys(s.labels).sort().join() === 'outcome,runbook')).toBe(true);
    expect(
      sampleValue(families, 'runbook_bot_incidents_total', { runbook: 'toy', outcome: 'resolved' }),
    ).toBe(1);
    expect(sampleValue(families, 'runbook_bot_incidents_total', { runbook: 'toy', outcome: 'expired' })).toBe(
      1,
    );
    expect(
      sampleValue(families, 'runbook_bot_incidents_total', { runbook: 'toy', outcome: 'cancelled' }),
    ).toBe(0);
    expect(ended.samples.reduce((n, s) => n + s.value, 0)).toBe(2);
    const started = (source: string) =>
      sampleValue(families, 'runbook_bot_incidents_started_total', { runbook: 'toy', source });
    expect([started('slack'), started('alert'), started('handover')]).toEqual([3, 0, 0]);
  });

  it('step durations: one series per runbook, step and kind, with the 10 ms–60 s buckets', async () => {
    const { families } = await scrape();
    const series = histogramSeries(family(families, 'runbook_bot_step_duration_seconds'));
    const of = (step: string) => series.find((s) => s.labels.step === step);
    expect(series.map((s) => `${s.labels.step}:${s.labels.kind}`).sort()).toEqual(
      ['a', 'b', 'c', 'd']
        .map((x) => `${x}:diagnose`)
        .concat('fix:repair', 'v:verify')
        .sort(),
    );
    for (const s of series)
      expect(s.buckets.map(([le]) => le)).toEqual([...STEP_BUCKETS, Number.POSITIVE_INFINITY]);
    // Probe a: 200 ms in each incident's first round, 3 s in the resolved one's recheck round.
    const a = of('a');
    expect(a?.count).toBe(4);
    expect(a?.sum).toBeCloseTo(3.6, 9);
    expect(a?.buckets.find(([le]) => le === 0.1)?.[1]).toBe(0);
    expect(a?.buckets.find(([le]) => le === 0.25)?.[1]).toBe(3);
    expect(a?.buckets.find(([le]) => le === 2.5)?.[1]).toBe(3);
    expect(a?.buckets.find(([le]) => le === 5)?.[1]).toBe(4);
    // The repair took 3 s: in the 5 s bucket, not the 2.5 s one.
    const fix = of('fix');
    expect([fix?.count, fix?.sum]).toEqual([1, 3]);
    expect(fix?.buckets.find(([le]) => le === 2.5)?.[1]).toBe(0);
    expect(fix?.buckets.find(([le]) => le === 5)?.[1]).toBe(1);
  });

  it('approval waits by risk and decision, with buckets up to a day; the one still waiting is pending', async () => {
    const { families } = await scrape();
    const series = histogramSeries(family(families, 'runbook_bot_approval_wait_seconds'));
    expect(
      series.map((s) => s.labels).sort((x, y) => (x.decision ?? '').localeCompare(y.decision ?? '')),
    ).toEqual([
      { runbook: 'toy', risk: 'low', decision: 'approved' },
      { runbook: 'toy', risk: 'low', decision: 'expired' },
    ]);
    const approved = series.find((s) => s.labels.decision === 'approved');
    expect([approved?.count, approved?.sum]).toEqual([1, 90]);
    expect(approved?.buckets.map(([le]) => le)).toEqual([...APPROVAL_BUCKETS, Number.POSITIVE_INFINITY]);
    const expired = series.find((s) => s.labels.decision === 'expired');
    expect([expired?.count, expired?.sum]).toEqual([1, 3600]);
    expect(expired?.buckets.find(([le]) => le === 1800)?.[1]).toBe(0);
    expect(expired?.buckets.find(([le]) => le === 3600)?.[1]).toBe(1);
    expect(family(families, 'runbook_bot_approvals_pending').type).toBe('gauge');
    expect(sampleValue(families, 'runbook_bot_approvals_pending')).toBe(1);
  });

  it('BullMQ job counts by queue and state; the alert counters exist at zero', async () => {
    const { families } = await scrape();
    const q = (queue: string, state: string) =>
      sampleValue(families, 'runbook_bot_queue_jobs', { queue, state });
    expect([
      q('diagnosis', 'waiting'),
      q('repair', 'waiting'),
      q('events', 'waiting'),
      q('events', 'active'),
    ]).toEqual([2, 0, 3, 1]);
    const alerts = family(families, 'runbook_bot_alerts_received_total');
    expect(alerts.samples.map((s) => `${s.labels.status}/${s.labels.matched}=${s.value}`).sort()).toEqual([
      'firing/false=0',
      'firing/true=0',
      'resolved/false=0',
      'resolved/true=0',
    ]);
    expect(sampleValue(families, 'runbook_bot_alerts_deduplicated_total')).toBe(0);
    metrics.alerts.received('firing', true);
    metrics.alerts.deduplicated();
    const after = (await scrape()).families;
    expect(
      sampleValue(after, 'runbook_bot_alerts_received_total', { status: 'firing', matched: 'true' }),
    ).toBe(1);
    expect(sampleValue(after, 'runbook_bot_alerts_deduplicated_total')).toBe(1);
  });

  it('with Redis failing or hanging, the scrape still answers: those gauges are left out, logged once', async () => {
    const warned = () =>
      log.lines.filter((l) => l.msg === 'metrics: left out of the scrape').map((l) => l.obj.what);
    queueDown = 'error';
    storeDown = true;
    for (let i = 0; i < 3; i++) {
      const { status, families } = await scrape();
      expect(status).toBe(200);
      expect(family(families, 'runbook_bot_queue_jobs').samples).toEqual([]);
      expect(family(families, 'runbook_bot_approvals_pending').samples).toEqual([]);
      expect(
        sampleValue(families, 'runbook_bot_incidents_total', { runbook: 'toy', outcome: 'resolved' }),
      ).toBe(1);
    }
    expect(warned().sort()).toEqual(['pending approvals', 'queue job counts']);
    queueDown = 'hang';
    storeDown = false;
    const hung = await scrape();
    expect(family(hung.families, 'runbook_bot_queue_jobs').samples).toEqual([]);
    expect(sampleValue(hung.families, 'runbook_bot_approvals_pending')).toBe(1);
    queueDown = 'no';
    expect(
      sampleValue((await scrape()).families, 'runbook_bot_queue_jobs', { queue: 'events', state: 'waiting' }),
    ).toBe(3);
    expect(warned()).toHaveLength(2);
    expect(log.lines.filter((l) => l.msg === 'metrics: collection recovered')).toHaveLength(2);
  });
});

describe('the exposition reader the tests rely on', () => {
  it('refuses what Prometheus would refuse', () => {
    const bad = [
      'x_total 1\n',
      '# TYPE x counter\nx 1',
      '# TYPE x counter\n# TYPE x counter\nx 1\n',
      '# TYPE x counter\nx{a="1",a="2"} 1\n',
      '# TYPE x counter\nx{a="1} 1\n',
      '# TYPE x counter\nx{a=1} 1\n',
      '# TYPE x counter\nx one\n',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ];
    for (const text of bad)
      expect(() => {
        for (const f of parsePromText(text).values()) if (f.type === 'histogram') histogramSeries(f);
      }, text).toThrow();
    const ok = parsePromText('# HELP x An x.\n# TYPE x gauge\nx{a="q\\"uote\\\\",b="n\\nl"} Nan\n');
    expect(ok.get('x')?.samples[0]?.labels).toEqual({ a: 'q"uote\\', b: 'n\nl' });
  });
});
