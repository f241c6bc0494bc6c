import { z } from 'zod';
import { queuesSchema, queuesViewSchema } from './bullmq-queues.js';
import { clientHealthSchema, healthView, healthViewSchema } from './client-health.js';

// The operator's targets file, validated here so every layer shares one definition. It holds no
// secret values, only the names of the env vars and files that do.
const containerName = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'a container name: letters, digits, _ . -');

/** A systemd unit name (without `.service`); never starts with `-`, so it cannot pass as an option. */
export const UNIT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.@-]{0,127}$/;
export const DEFAULT_UNIT = 'redis-server';
/** An ACL user name as the targets file may give it; never starts with `-` (it follows `--user`). */
export const ACL_USER = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}$/;

const dockerPlace = z.object({ container: containerName }).strict();

const sshPlace = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/),
    privateKeyFile: z.string().min(1),
    hostKey: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'a pinned host key fingerprint, SHA256:…'),
  })
  .strict();

const redisTarget = z
  .object({
    docker: dockerPlace.optional(),
    ssh: sshPlace.optional(),
    // Name clients use to reach Redis; defaults to the container name (Docker DNS) or 127.0.0.1.
    host: z
      .string()
      .regex(/^[a-zA-Z0-9_.:-]+$/)
      .optional(),
    port: z.number().int().min(1).max(65535).default(6379),
    // An ACL user (Redis 6+, seed 002): not a secret, so it may go in argv (`redis-cli --user`);
    // its password still comes from passwordEnv, out of band.
    username: z.string().regex(ACL_USER, 'an ACL user name: 1-64 letters, digits, _ . -').optional(),
    passwordEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional(),
    dataDir: z
      .string()
      .regex(/^\/[\w./-]*$/, 'an absolute path')
      .optional(),
    serviceUser: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]*$/)
      .optional(),
    logFile: z
      .string()
      .regex(/^\/[\w./-]*$/, 'an absolute path')
      .optional(),
    // SSH targets (seed 003): the systemd unit running Redis (default redis-server), its log dir,
    // and whether steps needing root go through `sudo -n` (the SSH user is not root).
    unit: z
      .string()
      .regex(UNIT_NAME, 'a systemd unit name without .service: letters, digits, _ . @ -')
      .optional(),
    logDir: z
      .string()
      .regex(/^\/[\w./-]*$/, 'an absolute path')
      .optional(),
    sudo: z.boolean().optional(),
    // Seed 004: the keys of user sessions (e.g. sess:*), counted read-only with SCAN when memory is read.
    sessionPattern: z
      .string()
      .regex(/^(?!-)[\w:.*?[\]{}-]{1,64}$/, 'a SCAN pattern: letters, digits and : . * ? [ ] { } - _')
      .optional(),
    // Redis-level reads (PING, INFO, CONFIG GET, ACL WHOAMI/USERS, CLIENT LIST) over a connection
    // from the worker itself: no exec per read. `true`: the Redis container's own address, read
    // from docker inspect. Anything the connection cannot answer cleanly is read the usual way.
    direct: z
      .union([
        z.literal(true),
        z
          .object({
            host: z.string().regex(/^[a-zA-Z0-9_.:-]+$/),
            port: z.number().int().min(1).max(65535).optional(),
          })
          .strict(),
      ])
      .optional(),
  })
  .strict()
  .refine((r) => r.direct !== true || r.docker !== undefined, {
    message: 'direct: true reads the container address: for docker targets (give ssh targets {host, port})',
  })
  .refine((r) => (r.docker ? 1 : 0) + (r.ssh ? 1 : 0) === 1, {
    message: 'redis needs exactly one of docker or ssh',
  })
  .refine((r) => r.ssh !== undefined || (r.unit === undefined && r.sudo === undefined), {
    message: 'unit and sudo are for ssh targets',
  })
  // redis-cli logs in as --user only when it has a password to send: without one it would act as
  // the default user, and every check would read someone else's view.
  .refine((r) => r.username === undefined || r.passwordEnv !== undefined, {
    message: 'username needs passwordEnv (redis-cli logs in as the user only with a password)',
  });

const clientTarget = z
  .object({
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]+$/)
      .optional(),
    docker: dockerPlace,
    // An HTTP health check of the application, fetched from inside this container (client-health.ts).
    health: clientHealthSchema.optional(),
  })
  .strict();

export const targetConfigSchema = z
  .object({
    redis: redisTarget,
    clients: z.array(clientTarget).default([]),
    // BullMQ queues the applications use (seed 004), counted read-only.
    queues: queuesSchema.optional(),
  })
  .strict();

const targetName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a lowercase target name');
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/, 'a Prometheus label name');

/**
 * Routing for alerts that carry no `runbook` label: every label under `match` must equal exactly,
 * and then the target is `target`, or the value of the label `targetLabel` (default `target`).
 */
export const alertRuleSchema = z
  .object({
    match: z
      .record(labelName, z.string().min(1).max(256))
      .refine((m) => Object.keys(m).length > 0, 'at least one label to match'),
    runbook: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a runbook id'),
    target: targetName.optional(),
    targetLabel: labelName.optional(),
  })
  .strict()
  .refine((r) => r.target === undefined || r.targetLabel === undefined, {
    message: 'give target or targetLabel, not both',
  });
export type AlertRule = z.infer<typeof alertRuleSchema>;

export const targetsFileSchema = z
  .object({
    targets: z.record(targetName, targetConfigSchema),
    alerts: z.array(alertRuleSchema).max(200).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    for (const [i, r] of (f.alerts ?? []).entries())
      if (r.target !== undefined && !Object.hasOwn(f.targets, r.target))
        ctx.addIssue({ code: 'custom', path: ['alerts', i, 'target'], message: `no target ${r.target}` });
  });

export type TargetConfig = z.infer<typeof targetConfigSchema>;
export type TargetsFile = z.infer<typeof targetsFileSchema>;

export const targetViewSchema = z.object({
  name: z.string(),
  kind: z.enum(['docker', 'ssh']),
  redis: z.object({
    container: z.string().optional(),
    sshHost: z.string().optional(),
    host: z.string(),
    port: z.number().int(),
    hasPassword: z.boolean(),
    username: z.string().regex(ACL_USER).optional(),
    dataDir: z.string().optional(),
    serviceUser: z.string().optional(),
    unit: z.string().optional(),
    logDir: z.string().optional(),
    sudo: z.boolean().optional(),
    sessionPattern: z.string().optional(),
  }),
  clients: z.array(
    z.object({ name: z.string(), container: z.string(), health: healthViewSchema.optional() }),
  ),
  queues: queuesViewSchema.optional(),
});

/** What the pure core knows of a target: names and shape, never credentials or key paths. */
export type TargetView = z.infer<typeof targetViewSchema>;

export function viewOfTarget(name: string, t: TargetConfig): TargetView {
  const kind = t.redis.docker ? 'docker' : 'ssh';
  const host = t.redis.host ?? t.redis.docker?.container ?? '127.0.0.1';
  return {
    name,
    kind,
    redis: {
      ...(t.redis.docker ? { container: t.redis.docker.container } : {}),
      ...(t.redis.ssh ? { sshHost: t.redis.ssh.host } : {}),
      host,
      port: t.redis.port,
      hasPassword: t.redis.passwordEnv !== undefined,
      ...(t.redis.username ? { username: t.redis.username } : {}),
      ...(t.redis.dataDir ? { dataDir: t.redis.dataDir } : {}),
      ...(t.redis.serviceUser ? { serviceUser: t.redis.serviceUser } : {}),
      ...(t.redis.ssh ? { unit: t.redis.unit ?? DEFAULT_UNIT } : {}),
      ...(t.redis.logDir ? { logDir: t.redis.logDir } : {}),
      ...(t.redis.sudo ? { sudo: true } : {}),
      ...(t.redis.sessionPattern ? { sessionPattern: t.redis.sessionPattern } : {}),
    },
    clients: t.clients.map((c) => ({
      name: c.name ?? c.docker.container,
      container: c.docker.container,
      ...(c.health ? { health: healthView(c.health) } : {}),
    })),
    ...(t.queues ? { queues: { prefix: t.queues.prefix, names: [...t.queues.names] } } : {}),
  };
}
