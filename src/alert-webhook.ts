import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AlertIntake } from './alerts/intake.js';
import { parseAlertmanager } from './alerts/payload.js';
import { type HttpServer, type RouteHandler, sendJson } from './bot/http-server.js';
import type { Config } from './config.js';
import type { AlertMetrics } from './incidents/metrics-port.js';
import type { Orchestrator } from './incidents/orchestrator.js';
import type { AlertLedger, Logger } from './incidents/ports.js';
import { RedisAlertLedger } from './queue/redis-alert-ledger.js';
import { RunbookBotError, type RunbookCatalogue } from './runbooks/index.js';
import type { Targets } from './targets-file.js';

// POST /alerts/alertmanager: Alertmanager's webhook. The request is checked (token, then shape) and
// acknowledged at once; the work (routing, the ledger, starting or noting incidents) happens after,
// in the intake, so a slow Slack or Redis never holds Alertmanager up or fails its request.

export const ALERT_PATH = '/alerts/alertmanager';

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
  now: () => number;
  log: Logger;
}

export function alertWebhook(o: AlertWebhookOptions): RouteHandler {
  return (req, res, body) => {
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
    const parsed = parseAlertmanager(body);
    if (!parsed.ok) {
      o.log.warn({ error: parsed.error, bytes: body.length }, 'alert webhook: not an Alertmanager payload');
      return sendJson(res, 400, { ok: false, error: parsed.error });
    }
    if (!o.accepting()) {
      o.log.warn({ alerts: parsed.payload.alerts.length }, 'alert webhook: not ready yet, asked to retry');
      res.setHeader('retry-after', '10');
      return sendJson(res, 503, { ok: false, error: 'starting up: try again shortly' });
    }
    const receivedAt = o.now();
    const { alerts } = parsed.payload;
    const firing = alerts.filter((a) => a.status === 'firing').length;
    sendJson(res, 200, { ok: true, alerts: alerts.length, firing, resolved: alerts.length - firing });
    o.intake.accept(parsed.payload, receivedAt);
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
}): AlertIntake | undefined {
  const { config } = d;
  if (!config.ALERT_WEBHOOK_TOKEN) return undefined;
  if (!config.ALERT_CHANNEL)
    throw new RunbookBotError('CONFIG_INVALID', 'ALERT_CHANNEL is required with ALERT_WEBHOOK_TOKEN');
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
  });
  d.http.route(
    'POST',
    ALERT_PATH,
    alertWebhook({
      token: config.ALERT_WEBHOOK_TOKEN,
      intake,
      accepting: d.accepting,
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
