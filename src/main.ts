import Dockerode from 'dockerode';
import { pino } from 'pino';
import { mountAlertIntake } from './alert-webhook.js';
import { retryForever, startHttpServer, startSlackBot } from './bot/index.js';
import { type Config, credentialValues, type Role } from './config.js';
import { TargetExecutor } from './executors/target-executor.js';
import { IncidentReports } from './incidents/incident-reports.js';
import { Orchestrator } from './incidents/orchestrator.js';
import { LateBoundPeople } from './incidents/people.js';
import type { Notifier } from './incidents/ports.js';
import { createMetrics } from './metrics.js';
import { redisFor } from './queue/connection.js';
import { BullDispatcher } from './queue/dispatcher.js';
import { startEventWorker } from './queue/event-worker.js';
import { RedisAlertLedger } from './queue/redis-alert-ledger.js';
import { RedisRunStore } from './queue/redis-run-store.js';
import { startStepWorkers } from './queue/step-worker.js';
import { FileReportStore } from './reports/file-report-store.js';
import { type ActionRunner, RunbookBotError, type RunbookCatalogue } from './runbooks/index.js';
import { redact } from './runbooks/redact.js';
import { seenRequests } from './seen-requests-redis.js';
import type { Targets } from './targets-file.js';

export type Log = pino.Logger;

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>): Log {
  return pino({ level: config.LOG_LEVEL, base: { pid: process.pid } });
}

export interface Running {
  orchestrator?: Orchestrator;
  /** The port /slack/events, /healthz and /readyz listen on (bot role), open before anything else. */
  port?: number;
  /** Resolves once Redis has answered and the orchestrator takes commands (false: closed first). */
  ready: Promise<boolean>;
  close(): Promise<void>;
}

/** ioredis reports every failed reconnect: the same reason is logged once per ten seconds, with a count. */
function connectionErrors(log: Log, what: string) {
  let last = '';
  let lastAt = 0;
  let repeats = 0;
  return (err: Error) => {
    const now = Date.now();
    if (err.message === last && now - lastAt < 10_000) return void repeats++;
    log.warn({ err: err.message, ...(repeats ? { repeats } : {}) }, `${what}: redis connection error`);
    last = err.message;
    lastAt = now;
    repeats = 0;
  };
}

/** True when the bot's Redis answers within a second; a separate fail-fast connection, never queued. */
function redisPing(url: string, log: Log) {
  const probe = redisFor(url, 'producer');
  probe.on('error', (err) => log.debug({ err: err.message }, 'redis probe error'));
  const ping = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), 1000);
    });
    try {
      return await Promise.race([
        probe.ping().then(
          (r) => r === 'PONG',
          () => false,
        ),
        late,
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
  return { ping, redis: probe, close: () => probe.disconnect() };
}

/** Executors per target, built on first use; the secrets come in as values, never as env reads. */
function executorsFor(targets: Targets, docker: Dockerode, secrets: Readonly<Record<string, string>>) {
  const cache = new Map<string, TargetExecutor>();
  const runnerFor = (name: string): ActionRunner => {
    const hit = cache.get(name);
    if (hit) return hit;
    const cfg = targets.config(name);
    if (!cfg) throw new RunbookBotError('TARGET_UNKNOWN', `no target ${name} in the targets file`);
    const ex = new TargetExecutor(name, cfg, { docker, secretOf: (env) => secrets[env] });
    cache.set(name, ex);
    return ex;
  };
  const close = async () => {
    await Promise.all([...cache.values()].map((e) => e.close()));
  };
  return { runnerFor, close };
}

/**
 * Wires one process: `worker` runs steps, `bot` runs the orchestrator (and, with the Slack edge,
 * talks to people), `all` does both.
 */
export async function serve(opts: {
  config: Config;
  role: Role;
  targets: Targets;
  /** The runbooks to serve, validated by the caller before anything opens. */
  catalogue: RunbookCatalogue;
  secrets: Readonly<Record<string, string>>;
  /** Replaces the Slack edge (tools and tests that talk to the orchestrator directly). */
  notifier?: Notifier;
  log: Log;
}): Promise<Running> {
  const { config, role, targets, log } = opts;
  const prefix = config.QUEUE_PREFIX;
  const connection = redisFor(config.REDIS_URL, 'worker');
  connection.on('error', connectionErrors(log, 'bot/worker'));
  const store = new RedisRunStore(connection, prefix);
  const queueErrors = connectionErrors(log, 'queues');
  const dispatcher = new BullDispatcher(connection, prefix, (err) => queueErrors(err));
  const closers: (() => Promise<unknown>)[] = [];
  let orchestrator: Orchestrator | undefined;

  if (role !== 'bot') {
    const docker = new Dockerode({ socketPath: config.DOCKER_HOST.slice('unix://'.length) });
    const executors = executorsFor(targets, docker, opts.secrets);
    const workers = startStepWorkers({
      connection,
      prefix,
      runnerFor: executors.runnerFor,
      store,
      runbooks: opts.catalogue.get,
      dispatcher,
      concurrency: config.WORKER_CONCURRENCY,
      lockMs: config.JOB_LOCK_MS,
      log,
      secrets: credentialValues(config),
    });
    closers.push(() => workers.close(), executors.close);
  }
  let port: number | undefined;
  let closing = false;
  let ready: Promise<boolean> = Promise.resolve(true);
  if (role !== 'worker') {
    const probe = redisPing(config.REDIS_URL, log);
    closers.push(async () => probe.close());
    const secretValues = [...Object.values(opts.secrets), ...credentialValues(config)];
    let attached = false;
    let slackWaiting: () => string | undefined = () => undefined;
    // The port opens first: health answers at once, readiness says what is still awaited.
    const http = await startHttpServer({
      port: config.PORT,
      log,
      ready: async () => {
        const up = await probe.ping();
        const waiting: Record<string, string> = {};
        if (!up) waiting.redis = 'down: the bot’s Redis does not answer PING';
        const slack = slackWaiting();
        if (slack) waiting.slack = slack;
        if (!attached) waiting.orchestrator = 'starting: waiting for Redis to recover open incidents';
        return waiting;
      },
    });
    port = http.port;
    const metrics = createMetrics({
      log,
      runbooks: opts.catalogue.ids,
      queues: [dispatcher.diagnosis, dispatcher.repair, dispatcher.events],
      recentIncidents: (n) => store.recent(n),
    });
    http.route('GET', '/metrics', metrics.route);
    http.onAnswered((route, status, seconds) => {
      if (route === 'POST /slack/events') metrics.slackAnswered(status, seconds);
    });
    // The reports come before the Slack edge that knows people's names: it is bound once it exists.
    const people = new LateBoundPeople();
    const reports = new IncidentReports({
      runbooks: opts.catalogue.get,
      store: new FileReportStore(config.REPORTS_DIR),
      secrets: () => secretValues,
      now: Date.now,
      people,
      log,
    });
    const slack = opts.notifier
      ? undefined
      : startSlackBot({
          config,
          store,
          targets,
          catalogue: opts.catalogue,
          reports,
          secrets: secretValues,
          ping: probe.ping,
          http,
          seen: seenRequests(probe.redis, prefix),
          now: Date.now,
          log,
        });
    // One ledger for both: the intake opens incidents through it, the orchestrator names the others in it.
    const ledger = config.ALERT_WEBHOOK_TOKEN ? new RedisAlertLedger(connection, prefix) : undefined;
    const o = new Orchestrator({
      store,
      dispatcher,
      notifier: opts.notifier ?? (slack as NonNullable<typeof slack>).notifier,
      targets,
      catalogue: opts.catalogue,
      reports,
      policy: {
        approvers: config.APPROVERS,
        approverGroups: config.APPROVER_GROUPS,
        allowSelfApproval: config.ALLOW_SELF_APPROVAL,
      },
      highRiskApprovals: config.HIGH_RISK_APPROVALS,
      ...(slack ? { approverDirectory: slack.approverDirectory } : {}),
      approvalTtlMs: config.APPROVAL_TTL,
      now: Date.now,
      log,
      redact: (text, opt) => redact(text, secretValues, opt),
      metrics: metrics.incidents,
      ...(ledger ? { ledger } : {}),
    });
    orchestrator = o;
    // POST /alerts/alertmanager, when ALERT_WEBHOOK_TOKEN is set; it waits for `attached` like commands.
    const alerts = mountAlertIntake({
      http,
      config,
      redis: connection,
      orchestrator: o,
      targets,
      catalogue: opts.catalogue,
      metrics: metrics.alerts,
      accepting: () => attached,
      log,
      ...(ledger ? { ledger } : {}),
    });
    if (slack) {
      people.bind(slack.people);
      slackWaiting = slack.waiting;
      slack.connect();
      // Stop taking commands first, so nothing new starts while the workers wind down.
      closers.unshift(() => slack.stop());
    }
    closers.push(() => http.close());
    // Alerts already acknowledged are worked on before Redis goes.
    if (alerts) closers.push(() => alerts.idle());
    const events = startEventWorker({ connection, prefix, orchestrator: o, concurrency: 16, log });
    closers.push(() => events.close());
    // Posts already due go out before Redis and Slack do (what cannot stays in the outbox).
    closers.push(() => o.idle());
    const sweep = setInterval(
      () => void o.recover().catch((e: unknown) => log.warn({ err: String(e) }, 'outbox sweep failed')),
      30_000,
    );
    sweep.unref();
    closers.push(async () => clearInterval(sweep));
    log.info({ port, mode: config.SLACK_APP_TOKEN ? 'socket' : 'http' }, 'listening');
    ready = (async () => {
      const reached = await retryForever(
        async () => {
          if (!(await probe.ping())) throw new Error('no answer to PING');
          const recovered = await o.recover();
          if (recovered)
            log.info({ incidents: recovered }, 'dispatched commands left over from a previous process');
        },
        { what: 'the bot’s Redis', log, stopped: () => closing },
      );
      if (!reached) return false;
      // Commands are taken only now: before, they are answered "starting up".
      slack?.attach(o);
      attached = true;
      return true;
    })();
  }
  log.info({ role, prefix, targets: targets.names().length }, 'serving');
  return {
    ...(orchestrator ? { orchestrator } : {}),
    ...(port !== undefined ? { port } : {}),
    ready,
    close: async () => {
      closing = true;
      for (const c of closers) await c();
      await dispatcher.close();
      connection.disconnect();
    },
  };
}
