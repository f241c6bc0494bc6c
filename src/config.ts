import { z } from 'zod';

// Every setting, parsed once at the composition root; the layers below get plain values.
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h)$/, 'a duration like 90s, 15m or 1h')
  .transform((v) => {
    const n = Number.parseInt(v, 10);
    const unit = v.replace(/^\d+/, '');
    return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit] ?? 1);
  });

// Floor 1s, low on purpose: the end-to-end tests let an approval expire in 3s rather than wait
// minutes; 0 would expire every request before anyone saw it. Ceiling a day: a repair approved
// the next day was approved for a system that has moved on.
const approvalTtl = duration.pipe(
  z.number().min(1000, 'at least 1s (e.g. 15m)').max(86_400_000, 'at most 24h (e.g. 15m)'),
);

const list = (item: z.ZodString) =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

const ids = list(z.string().regex(/^[UW][A-Z0-9_]+$/, 'Slack user ids like U012ABCDEF'));
const groupIds = list(z.string().regex(/^S[A-Z0-9]+$/, 'Slack user group ids like S012ABCDEF'));

const count = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `at least ${min}`).max(max, `at most ${max}`));

export const envSchema = z.object({
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xoxb-/, 'a bot token starting with xoxb-')
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(8).optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'an app-level token starting with xapp-')
    .optional(),
  SLACK_API_URL: z.url().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  DOCKER_HOST: z
    .string()
    .regex(/^unix:\/\//, 'a unix:// socket')
    .default('unix:///var/run/docker.sock'),
  TARGETS_FILE: z.string().min(1).default('./targets.yaml'),
  APPROVERS: ids.default([]),
  /** Members of these Slack user groups may approve too, beside APPROVERS. */
  APPROVER_GROUPS: groupIds.default([]),
  ALLOW_SELF_APPROVAL: bool.default(false),
  /** Distinct people who must approve a high-risk repair. */
  HIGH_RISK_APPROVALS: count(1, 5).default(1),
  /** Approvers may see `status` and `list` of every channel, not only the one they are in. */
  APPROVER_CROSS_CHANNEL: bool.default(false),
  APPROVAL_TTL: approvalTtl.default(15 * 60_000),
  REPORTS_DIR: z.string().min(1).default('./reports'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, 'lowercase letters, digits and -')
    .default('rbb'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /** How soon a dead worker's job is noticed (BullMQ lock and stall-check interval). */
  JOB_LOCK_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  /** Turns POST /alerts/alertmanager on; Alertmanager sends it as `Authorization: Bearer …`. */
  ALERT_WEBHOOK_TOKEN: z
    .string()
    .min(16, 'at least 16 characters (e.g. openssl rand -hex 32)')
    .regex(/^[\x21-\x7e]+$/, 'printable characters without spaces')
    .optional(),
  /** The Slack channel incidents started by alerts open in. */
  ALERT_CHANNEL: z
    .string()
    .regex(/^[CG][A-Z0-9_]{2,}$/, 'a Slack channel id like C012ABCDEF')
    .optional(),
  /** Incidents alerts may start per target in any hour; the excess is logged and counted. */
  ALERT_RATE_PER_HOUR: count(1, 1000).default(6),
  /** After an incident ended, its alert firing again within this is noted in its thread. */
  ALERT_REOPEN_WINDOW: duration.pipe(z.number().max(86_400_000, 'at most 24h')).default(10 * 60_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof envSchema>;
export type Role = 'all' | 'bot' | 'worker';

// Settings whose values are credentials: redacted by value wherever output is kept or shown.
const CREDENTIALS = ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'ALERT_WEBHOOK_TOKEN'];

/** The credential values this configuration holds: to be redacted wherever output is kept or shown. */
export function credentialValues(config: Config): string[] {
  const byName: Partial<Record<string, unknown>> = config;
  return CREDENTIALS.flatMap((name) => {
    const v = byName[name];
    return typeof v === 'string' && v !== '' ? [v] : [];
  });
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Parses the environment for a role; each error names the variable and what was expected. */
export function parseConfig(env: Readonly<Record<string, string | undefined>>, role: Role): ConfigResult {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  const errors = parsed.success
    ? []
    : // Values are never echoed: a wrong token or a URL with a password must not reach a log.
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (role !== 'worker') {
    if (!present.SLACK_BOT_TOKEN) errors.push('SLACK_BOT_TOKEN: required for the bot role (xoxb-…)');
    if (!present.SLACK_APP_TOKEN && !present.SLACK_SIGNING_SECRET)
      errors.push('SLACK_SIGNING_SECRET: required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
    if (present.ALERT_WEBHOOK_TOKEN && !present.ALERT_CHANNEL)
      errors.push(
        'ALERT_CHANNEL: required when ALERT_WEBHOOK_TOKEN is set (the Slack channel id incidents from alerts open in, like C012ABCDEF)',
      );
  }
  return parsed.success && errors.length === 0 ? { ok: true, config: parsed.data } : { ok: false, errors };
}
