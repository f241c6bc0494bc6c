import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AlertInbox } from './alerts/inbox.js';
import { AlertIntake } from './alerts/intake.js';
import { parseAlertmanager } from './alerts/payload.js';
import { type HttpServer, type RouteHandler, sendJson } from './bot/http-server.js';
import type { Config } from './config.js';
import type { AlertMetrics } from './incidents/metrics-port.js';
import type { Orchestrator } from './incidents/orchestrator.js';
import type { AlertLedger, Logger, RunStore } from './incidents/ports.js';
import { RedisAlertInbox } from './queue/redis-alert-inbox.js';
import { RedisAlertLedger } from './queue/redis-alert-ledger.js';
import { RedisRunStore } from './queue/redis-run-store.js';
import { RunbookBotError, type RunbookCatalogue } from './runbooks/index.js';
import type { Targets } from './targets-file.js';

// POST /alerts/alertmanager: Alertmanager's webhook. The request is checked (token, then shape) and
// acknowledged at once; the work (routing, the ledger, starting or noting incidents) happens after,
// in the intake, so a slow Slack or Redis never holds Alertmanager up or fails its request.

export const ALERT_PATH = '/alerts/alertmanager';
/** How often each process looks for notifications another one left behind. */
const SWEEP_EVERY_MS = 30_000;

/** Equal tokens, compared in constant time whatever their lengths (both sides are hashed first). */
export function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token of `Authorization: Bearer <token>` (Alertmanager's http_config.authorization). */
export function bearerOf(header: string | undefined): string | undefined {
  return /^Bearer ([\x21-\x7e]+)$/i.exec(header ?? '')?.[1];
}

export interface AlertWebhookOptions {
  token: string;
  intake: Pick<AlertIntake, 'accept'>;
  /** False until the orchestrator takes work: Alertmanager is then told to come back (503). */
  accepting: () => boolean;
  /**
   * False while the bot's Redis is not connected: an alert acknowledged then would wait in memory
   * and be lost with the process, while a 503 makes Alertmanager deliver it again (it retries 5xx).
   */
  redisUp?: () => boolean;
  /** Where the body is kept before it is acknowledged, until settled (see alerts/inbox.ts). */
  inbox?: Pick<AlertInbox, 'keep'>;
  now: () => number;
  log: Logger;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** How long keeping a body may take before Alertmanager is asked to come back instead. */
const KEEP_TIMEOUT_MS = 2000;

function keepIn(inbox: Pick<AlertInbox, 'keep'>, body: string, at: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), KEEP_TIMEOUT_MS);
    inbox.keep(body, at).then(
      (id) => {
        clearTimeout(timer);
        resolve(id);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

export function alertWebhook(o: AlertWebhookOptions): RouteHandler {
  return async (req, res, _text, raw) => {
    const given = bearerOf(req.headers.authorization);
    if (given === undefined || !sameToken(given, o.token)) {
      // Neither the header nor the token is logged: a wrong token may be a real one mistyped.
      o.log.warn(
        { from: req.socket.remoteAddress, reason: given === undefined ? 'no bearer token' : 'wrong token' },
        'alert webhook refused',
      );
      res.setHeader('www-authenticate', 'Bearer');
      return sendJson(res, 401, { ok: false, error: 'a valid Authorization: Bearer token is required' });
    }
    // JSON is UTF-8 (RFC 8259): other bytes would be read as U+FFFD and change what a label says.
    let body: string;
    try {
      body = utf8.decode(raw);
    } catch {
      o.log.warn({ bytes: raw.length }, 'alert webhook: the body is not UTF-8');
      return sendJson(res, 400, { ok: false, error: 'the body is not UTF-8' });
    }
    const parsed = parseAlertmanager(body);
    if (!parsed.ok) {
      o.log.warn({ error: parsed.error, bytes: raw.length }, 'alert webhook: not an Alertmanager payload');
      return sendJson(res, 400, { ok: false, error: parsed.error });
    }
    const starting = !o.accepting();
    if (starting || !(o.redisUp?.() ?? true)) {
      const why = starting ? 'starting up' : 'the bot’s Redis is not connected';
      o.log.warn(
        { alerts: parsed.payload.alerts.length, why },
        'alert webhook: not taken now, asked to retry',
      );
      res.setHeader('retry-after', '10');
      return sendJson(res, 503, { ok: false, error: `${why}: try again shortly` });
    }
    const receivedAt = o.now();
    const kept = o.inbox ? await keepIn(o.inbox, body, receivedAt) : undefined;
    if (o.inbox && kept === undefined) {
      o.log.warn(
        { alerts: parsed.payload.alerts.length },
        'alert webhook: could not keep it, asked to retry',
      );
      res.setHeader('retry-after', '10');
      return sendJson(res, 503, { ok: false, error: 'the bot’s Redis did not take it: try again shortly' });
    }
    const { alerts } = parsed.payload;
    const firing = alerts.filter((a) => a.status === 'firing').length;
    sendJson(res, 200, { ok: true, alerts: alerts.length, firing, resolved: alerts.length - firing });
    o.intake.accept(parsed.payload, receivedAt, kept);
  };
}

/** Builds the intake over the bot's Redis and mounts the route; only when ALERT_WEBHOOK_TOKEN is set. */
export function mountAlertIntake(d: {
  http: Pick<HttpServer, 'route'>;
  config: Config;
  redis: Redis;
  orchestrator: Orchestrator;
  targets: Targets;
  catalogue: RunbookCatalogue;
  metrics: AlertMetrics;
  accepting: () => boolean;
  log: Logger;
  /** Replaces the Redis ledger (tests). */
  ledger?: AlertLedger;
  /** Replaces the Redis run store the intake looks for incidents the ledger lost in (tests). */
  store?: Pick<RunStore, 'recent'>;
  /** Replaces the Redis inbox (tests). */
  inbox?: AlertInbox;
}): AlertIntake | undefined {
  const { config } = d;
  if (!config.ALERT_WEBHOOK_TOKEN) return undefined;
  if (!config.ALERT_CHANNEL)
    throw new RunbookBotError('CONFIG_INVALID', 'ALERT_CHANNEL is required with ALERT_WEBHOOK_TOKEN');
  const store = d.store ?? new RedisRunStore(d.redis, config.QUEUE_PREFIX);
  const inbox: AlertInbox = d.inbox ?? new RedisAlertInbox(d.redis, config.QUEUE_PREFIX, randomUUID);
  const intake = new AlertIntake({
    orchestrator: d.orchestrator,
    ledger: d.ledger ?? new RedisAlertLedger(d.redis, config.QUEUE_PREFIX),
    routing: { runbooks: d.catalogue.ids, targets: d.targets.names(), rules: d.targets.alertRules() },
    channel: config.ALERT_CHANNEL,
    perHour: config.ALERT_RATE_PER_HOUR,
    reopenWindowMs: config.ALERT_REOPEN_WINDOW,
    now: Date.now,
    token: randomUUID,
    metrics: d.metrics,
    log: d.log,
    recent: (n) => store.recent(n),
    inbox,
  });
  // What a process that died left in the inbox is worked on by whichever process sweeps first.
  setInterval(() => {
    if (d.accepting() && d.redis.status === 'ready') void intake.sweep();
  }, SWEEP_EVERY_MS).unref();
  d.http.route(
    'POST',
    ALERT_PATH,
    alertWebhook({
      token: config.ALERT_WEBHOOK_TOKEN,
      intake,
      accepting: d.accepting,
      redisUp: () => d.redis.status === 'ready',
      inbox,
      now: Date.now,
      log: d.log,
    }),
  );
  d.log.info(
    { path: ALERT_PATH, channel: config.ALERT_CHANNEL, perHour: config.ALERT_RATE_PER_HOUR },
    'alert intake on',
  );
  return intake;
}
