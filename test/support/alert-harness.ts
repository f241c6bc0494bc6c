import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALERT_PATH, alertWebhook } from '../../src/alert-webhook.js';
import type { AlertInbox } from '../../src/alerts/inbox.js';
import { AlertIntake } from '../../src/alerts/intake.js';
import { startHttpServer } from '../../src/bot/http-server.js';
import { IncidentReports } from '../../src/incidents/incident-reports.js';
import { Orchestrator } from '../../src/incidents/orchestrator.js';
import type {
  AlertLedger,
  Dispatcher,
  IncidentRecord,
  RunStore,
  StepJob,
} from '../../src/incidents/ports.js';
import { createMetrics } from '../../src/metrics.js';
import { catalogueOf, type ExecResult } from '../../src/runbooks/index.js';
import { MemoryAlertLedger } from './memory-alert-ledger.js';
import { MemoryReportStore } from './memory-report-store.js';
import { MemoryStore } from './memory-store.js';
import { MemoryLog } from './orchestration.js';
import { RecordingNotifier } from './recording-notifier.js';
import { result, toyRunbook, toyTarget } from './toy-runbook.js';

export const ALERT_TOKEN = 'alert-token-0123456789abcdef';
export const ALERT_CHANNEL = 'C_ALERTS';
/** A little after the fixtures' startsAt (2026-12-02T03:04:05.123Z). */
export const T0 = Date.UTC(2026, 11, 2, 3, 5, 0);

type Alert = {
  status?: 'firing' | 'resolved';
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint?: string;
};

const FIXTURE = join(import.meta.dirname, '../fixtures/alertmanager/firing.json');

/**
 * An Alertmanager payload shaped like the fixture (Alertmanager 0.25), its alerts changed as told:
 * by default the toy runbook on `cache`, so the real orchestrator can run it.
 */
export function alertPayload(alerts: Alert[], status?: 'firing' | 'resolved'): Record<string, unknown> {
  const base = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { alerts: Record<string, unknown>[] };
  const first = base.alerts[0] ?? {};
  const all = alerts.map((a) => ({
    ...first,
    ...a,
    labels: { alertname: 'RedisDown', runbook: 'toy', target: 'cache', severity: 'critical', ...a.labels },
    annotations: a.annotations ?? { summary: 'Redis cache does not answer the exporter' },
    fingerprint: a.fingerprint ?? 'aa00000000000001',
    ...(a.status === 'resolved' && !a.endsAt ? { endsAt: '2026-12-02T03:09:00Z' } : {}),
  }));
  return {
    ...base,
    status: status ?? (all.some((a) => a.status !== 'resolved') ? 'firing' : 'resolved'),
    alerts: all,
  };
}

/**
 * The alert intake as serve() wires it, over the real orchestrator with the toy runbook on `cache`
 * and `other`: a memory store and ledger unless given Redis ones, the recording notifier, a
 * dispatcher that keeps the steps it is handed, the real metrics, and the real HTTP route.
 */
export async function alertHarness(
  o: {
    store?: RunStore;
    ledger?: AlertLedger;
    perHour?: number;
    reopenWindowMs?: number;
    busyWaitMs?: number;
    /** Keeps acknowledged notifications until settled (the Redis inbox); none by default. */
    inbox?: AlertInbox;
  } = {},
) {
  const rb = toyRunbook();
  // A second runbook, for handovers: the toy one under another id.
  const next = { ...toyRunbook(), id: 'toy-next', title: 'Toy, next' };
  const store = o.store ?? new MemoryStore();
  const ledger = o.ledger ?? new MemoryAlertLedger();
  const notifier = new RecordingNotifier();
  const steps: StepJob[] = [];
  const dispatcher: Dispatcher = {
    enqueueStep: async (job) => void steps.push(job),
    enqueueEvent: async () => undefined,
  };
  const log = new MemoryLog();
  const clock = { now: T0 };
  const reportStore = new MemoryReportStore();
  const metrics = createMetrics({
    log,
    runbooks: ['toy', 'toy-next'],
    queues: [],
    recentIncidents: (n) => store.recent(n),
  });
  const names = ['cache', 'other'];
  const orchestrator = new Orchestrator({
    store,
    dispatcher,
    notifier,
    targets: { view: (n) => (names.includes(n) ? { ...toyTarget, name: n } : undefined), names: () => names },
    catalogue: catalogueOf([rb, next]),
    reports: new IncidentReports({
      runbooks: (id) => (id === next.id ? next : rb),
      store: reportStore,
      secrets: () => [],
      now: () => clock.now,
    }),
    policy: { approvers: ['U_A', 'U_B'], allowSelfApproval: false },
    approvalTtlMs: 3_600_000,
    now: () => clock.now,
    log,
    metrics: metrics.incidents,
    ledger,
  });
  const intake = new AlertIntake({
    orchestrator,
    ledger,
    routing: { runbooks: ['toy', 'toy-next'], targets: names, rules: [] },
    channel: ALERT_CHANNEL,
    perHour: o.perHour ?? 6,
    reopenWindowMs: o.reopenWindowMs ?? 10 * 60_000,
    now: () => clock.now,
    token: randomUUID,
    metrics: metrics.alerts,
    log,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    recent: (n) => store.recent(n),
    ...(o.inbox ? { inbox: o.inbox } : {}),
    ...(o.busyWaitMs === undefined ? {} : { busyWaitMs: o.busyWaitMs }),
  });
  const http = await startHttpServer({ port: 0, ready: async () => ({}), log });
  const gate = { accepting: true };
  http.route(
    'POST',
    ALERT_PATH,
    alertWebhook({
      token: ALERT_TOKEN,
      intake,
      accepting: () => gate.accepting,
      now: () => clock.now,
      log,
      ...(o.inbox ? { inbox: o.inbox } : {}),
    }),
  );
  const url = `http://127.0.0.1:${http.port}${ALERT_PATH}`;

  /** `authorization` null: no header at all. */
  const post = async (body: unknown, authorization: string | null = `Bearer ${ALERT_TOKEN}`) => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === null ? {} : { authorization }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, unknown> };
  };

  /** Posts, then waits for the work the acknowledgement left for after it. */
  const deliver = async (body: unknown) => {
    const r = await post(body);
    await intake.idle();
    return r;
  };

  const counter = async (name: string, labels: Record<string, string> = {}) => {
    const m = await metrics.registry.getSingleMetric(name)?.get();
    return (
      m?.values.find((v) => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x))?.value ?? 0
    );
  };

  /** Answers the running steps of an incident as the toy runbook expects: step b finds the fault. */
  const answerSteps = async (id: string) => {
    for (let i = 0; i < 20; i++) {
      const running = Object.values((await store.load(id))?.state.steps ?? {}).filter(
        (r) => r.status === 'running',
      );
      if (running.length === 0) return orchestrator.idle();
      for (const r of running) {
        const out: ExecResult[] =
          r.kind === 'repair'
            ? r.actions.map(() => result('ok'))
            : [result(r.kind === 'verify' ? 'good' : r.stepId === 'b' && r.round === 1 ? 'bad' : 'fine')];
        await orchestrator.apply(id, {
          type: 'step-result',
          stepKey: r.key,
          attempt: r.attempt,
          results: out,
        });
      }
    }
  };

  const incidents = async () => {
    const listed = (await store.recent(100)).reverse();
    const records = await Promise.all(listed.map((l) => store.load(l.id)));
    return records.filter((r): r is IncidentRecord => r !== null);
  };
  const outcomes = () => log.lines.filter((l) => l.msg.startsWith('alert ')).map((l) => l.obj);

  return {
    store,
    ledger,
    notifier,
    steps,
    log,
    clock,
    gate,
    reportStore,
    orchestrator,
    intake,
    metrics,
    url,
    post,
    deliver,
    counter,
    answerSteps,
    incidents,
    outcomes,
    close: () => http.close(),
  };
}
