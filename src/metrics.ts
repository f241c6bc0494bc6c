import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RouteHandler } from './bot/http-server.js';
import type { AlertMetrics, IncidentMetrics, IncidentSource, Observation } from './incidents/metrics-port.js';
import { pendingApprovals } from './incidents/metrics-port.js';
import type { Logger } from './incidents/ports.js';
import type { IncidentListing } from './incidents/summary.js';
import { TERMINAL } from './runbooks/index.js';

// GET /metrics: the bot's counters and histograms in the Prometheus text format, through prom-client.

/** A BullMQ queue as far as the gauge needs it (its name and its counts by job state). */
export interface JobCounts {
  readonly name: string;
  getJobCounts(): Promise<Record<string, number>>;
}

export interface MetricsDeps {
  log: Logger;
  /** The catalogue's runbook ids: the incident counters start at zero for each. */
  runbooks: readonly string[];
  queues: readonly JobCounts[];
  /** The store's most recent incidents, newest first (RunStore.recent). */
  recentIncidents: (limit: number) => Promise<readonly IncidentListing[]>;
  /** How long a scrape waits for Redis before leaving a gauge out; default 2 s. */
  collectTimeoutMs?: number;
}

export interface BotMetrics {
  readonly registry: Registry;
  readonly incidents: IncidentMetrics;
  readonly alerts: AlertMetrics;
  /** A Slack request answered (any status), with the seconds it took. */
  slackAnswered(status: number, seconds: number): void;
  /** The GET /metrics handler. */
  readonly route: RouteHandler;
}

/** Buckets for a step, from a 10 ms INFO to a 60 s repair (BGSAVE on a large dataset, say). */
export const STEP_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Slack gives up at 3 s; the bot means to answer within 50 ms. */
export const ACK_BUCKETS = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 3];
/** Buckets for a person's answer, from seconds to APPROVAL_TTL's 24-hour ceiling. */
export const APPROVAL_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400];
/**
 * Incidents read per scrape for the pending-approvals gauge. A request is pending at most its TTL,
 * so only incidents started within about a day can hold one: 200 covers a busy day and keeps a scrape
 * to one bounded read. Reading the store, rather than counting in memory, keeps the figure true
 * across restarts.
 */
export const PENDING_SCAN = 200;

const SOURCES: readonly IncidentSource[] = ['slack', 'alert', 'handover'];

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export function createMetrics(d: MetricsDeps): BotMetrics {
  const registry = new Registry();
  const registers = [registry];
  const timeoutMs = d.collectTimeoutMs ?? 2000;
  collectDefaultMetrics({ register: registry, prefix: 'runbook_bot_' });

  // A failing source is logged when it starts failing and when it recovers, not on every scrape.
  const failing = new Set<string>();
  async function guarded<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      const v = await within(read(), timeoutMs);
      if (failing.delete(what)) d.log.info({ what }, 'metrics: collection recovered');
      return v;
    } catch (e) {
      if (!failing.has(what)) d.log.warn({ what, err: String(e) }, 'metrics: left out of the scrape');
      failing.add(what);
      return undefined;
    }
  }

  const ended = new Counter({
    name: 'runbook_bot_incidents_total',
    help: 'Incidents that ended, by runbook and outcome (the terminal status).',
    labelNames: ['runbook', 'outcome'] as const,
    registers,
  });
  const started = new Counter({
    name: 'runbook_bot_incidents_started_total',
    help: 'Incidents started, by runbook and source (slack, alert, handover).',
    labelNames: ['runbook', 'source'] as const,
    registers,
  });
  const stepSeconds = new Histogram({
    name: 'runbook_bot_step_duration_seconds',
    help: 'Time from a step being issued to its result being applied (queue wait and retries included).',
    labelNames: ['runbook', 'step', 'kind'] as const,
    buckets: STEP_BUCKETS,
    registers,
  });
  const ackSeconds = new Histogram({
    name: 'runbook_bot_slack_ack_seconds',
    help: 'Time from a Slack request (command, click) arriving to the bot having answered it.',
    labelNames: ['status'] as const,
    buckets: ACK_BUCKETS,
    registers,
  });
  const approvalSeconds = new Histogram({
    name: 'runbook_bot_approval_wait_seconds',
    help: 'Time from an approval request to its decision, expiry or withdrawal.',
    labelNames: ['runbook', 'risk', 'decision'] as const,
    buckets: APPROVAL_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'runbook_bot_approvals_pending',
    help: 'Approval requests waiting for a person, read from the store on each scrape.',
    registers,
    async collect() {
      const n = await guarded('pending approvals', async () =>
        pendingApprovals(await d.recentIncidents(PENDING_SCAN)),
      );
      // Without an answer the sample is left out: a 0 would claim nobody is waiting.
      if (n === undefined) this.remove();
      else this.set(n);
    },
  });
  new Gauge({
    name: 'runbook_bot_queue_jobs',
    help: 'BullMQ jobs by queue and state, read from Redis on each scrape.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      const all = await guarded('queue job counts', () =>
        Promise.all(d.queues.map(async (q) => ({ queue: q.name, counts: await q.getJobCounts() }))),
      );
      for (const { queue, counts } of all ?? [])
        for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
    },
  });
  const received = new Counter({
    name: 'runbook_bot_alerts_received_total',
    help: 'Alerts received from Alertmanager, by status and whether a runbook matched.',
    labelNames: ['status', 'matched'] as const,
    registers,
  });
  const deduplicated = new Counter({
    name: 'runbook_bot_alerts_deduplicated_total',
    help: 'Alerts that joined an incident already open for them instead of starting one.',
    registers,
  });
  const rateLimited = new Counter({
    name: 'runbook_bot_alerts_rate_limited_total',
    help: 'Firing alerts that started nothing because their target reached ALERT_RATE_PER_HOUR.',
    registers,
  });

  // Every known series starts at zero, so that rate() and dashboards see it before its first event.
  for (const runbook of d.runbooks) {
    for (const outcome of TERMINAL) ended.inc({ runbook, outcome }, 0);
    for (const source of SOURCES) started.inc({ runbook, source }, 0);
  }
  for (const status of ['firing', 'resolved'])
    for (const matched of ['true', 'false']) received.inc({ status, matched }, 0);

  const apply = (o: Observation) => {
    switch (o.kind) {
      case 'started':
        return started.inc({ runbook: o.runbook, source: o.source });
      case 'ended':
        return ended.inc({ runbook: o.runbook, outcome: o.outcome });
      case 'step-finished':
        return stepSeconds.observe({ runbook: o.runbook, step: o.step, kind: o.stepKind }, o.seconds);
      case 'approval-ended':
        return approvalSeconds.observe({ runbook: o.runbook, risk: o.risk, decision: o.decision }, o.seconds);
    }
  };
  return {
    registry,
    incidents: {
      record(observations) {
        // Counting is never worth failing an incident's write over.
        for (const o of observations)
          try {
            apply(o);
          } catch (e) {
            d.log.warn({ observation: o.kind, err: String(e) }, 'metrics: observation dropped');
          }
      },
    },
    alerts: {
      received: (status, matched) => received.inc({ status, matched: String(matched) }),
      deduplicated: () => deduplicated.inc(),
      rateLimited: () => rateLimited.inc(),
    },
    slackAnswered: (status: number, seconds: number) =>
      ackSeconds.observe({ status: String(status) }, seconds),
    route: async (_req, res) => {
      const text = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    },
  };
}
