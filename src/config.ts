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

const ids = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[UW][A-Z0-9_]+$/, 'Slack user ids like U012ABCDEF')));

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
  ALLOW_SELF_APPROVAL: bool.default(false),
  APPROVAL_TTL: duration.default(15 * 60_000),
  REPORTS_DIR: z.string().min(1).default('./reports'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/, 'lowercase letters, digits and -')
    .default('rbb'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /** How soon a dead worker's job is noticed (BullMQ lock and stall-check interval). */
  JOB_LOCK_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof envSchema>;
export type Role = 'all' | 'bot' | 'worker';

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
  }
  return parsed.success && errors.length === 0 ? { ok: true, config: parsed.data } : { ok: false, errors };
}
