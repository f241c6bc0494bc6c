import { type CommandOutput, containerLogs, createNetwork, execIn, runContainer, waitFor } from './docker.js';
import { matchingLine, REDIS_BASE_ARGS } from './docker-redis.js';
import { LabError } from './lab-error.js';
import type { CliOptions, ScenarioContext, ScenarioDef, ScenarioParts } from './types.js';

// The application's side (seeds 000, 002, 004): a client container that is an application with an
// HTTP health check, busybox httpd with a CGI that asks Redis, answering 500
// {"status":"error","redis_connection":"error"} while it cannot reach Redis and 200
// {"status":"ok","redis_connection":"ok"} once it can. The lab image has busybox wget, so the bot
// fetches the check with it from inside the container.

export const APP_PORT = 8080;
export const HEALTH_PATH = '/cgi-bin/health';

/**
 * How the application holds its Redis connection:
 * - `reconnects`: asks Redis on every request (a client that retries), so it heals with Redis;
 * - `stale`: connects once at start and keeps a failed connection until it is restarted (the seeds'
 *   "restart the API to reconnect to Redis");
 * - `broken`: Redis is fine, the application fails for a reason of its own (its database is down).
 */
export type AppMode = 'reconnects' | 'stale' | 'broken';

// $1 the Redis host, $2 the mode. A CGI is a fresh process per request, so what the app "holds" is a
// file under /tmp; /tmp survives a container restart, so the start script removes it first.
const APP_SCRIPT = String.raw`host=$1; mode=$2
mkdir -p /tmp/www/cgi-bin
rm -f /tmp/app.broken
printf '%s' "$host" > /tmp/app.host
printf '%s' "$mode" > /tmp/app.mode
if [ "$mode" = stale ]; then
  ok=''
  for i in $(seq 1 20); do
    if timeout 2 redis-cli -h "$host" -p 6379 PING 2>/dev/null | grep -q PONG; then ok=1; break; fi
    sleep 0.5
  done
  [ -n "$ok" ] || echo 'connection failed at start' > /tmp/app.broken
fi
cat > /tmp/www/cgi-bin/health <<'CGI'
#!/bin/sh
host=$(cat /tmp/app.host); mode=$(cat /tmp/app.mode)
answer() { printf 'HTTP/1.1 %s\r\nContent-Type: application/json\r\n\r\n%s\n' "$1" "$2"; }
if [ "$mode" = broken ]; then
  answer '500 Internal Server Error' '{"status":"error","redis_connection":"ok","database":"error"}'
elif [ ! -e /tmp/app.broken ] && timeout 2 redis-cli -h "$host" -p 6379 PING 2>/dev/null | grep -q PONG; then
  answer '200 OK' '{"status":"ok","redis_connection":"ok"}'
else
  answer '500 Internal Server Error' '{"status":"error","redis_connection":"error"}'
fi
CGI
chmod 755 /tmp/www/cgi-bin/health
exec httpd -f -p ${APP_PORT} -h /tmp/www`;

export interface AppSpec {
  mode: AppMode;
  /** The app on a network of its own, so it cannot reach Redis (seed 002). */
  wrongNetwork: boolean;
}

/** What the health check answers from inside the app container, as wget prints it. */
export async function appHealth(ctx: ScenarioContext, app: string): Promise<CommandOutput> {
  const url = `http://127.0.0.1:${APP_PORT}${HEALTH_PATH}`;
  return execIn(ctx.docker, app, ['wget', '-q', '-S', '-O', '-', url], { timeoutSec: 10 });
}

async function startApp(ctx: ScenarioContext, spec: AppSpec): Promise<ScenarioParts> {
  const redis = ctx.name('redis');
  const app = ctx.name('app');
  const net = ctx.name('net');
  const appNet = spec.wrongNetwork ? ctx.name('net-other') : net;
  for (const n of new Set([net, appNet])) await createNetwork(ctx.docker, n, ctx.prefix);
  await runContainer(ctx.docker, { name: redis, prefix: ctx.prefix, network: net, cmd: REDIS_BASE_ARGS });
  await runContainer(ctx.docker, {
    name: app,
    prefix: ctx.prefix,
    network: appNet,
    cmd: ['sh', '-c', APP_SCRIPT, 'app', redis, spec.mode],
  });
  const cli = async (args: readonly string[], opts: CliOptions = {}) => {
    const fromApp = opts.from === 'client';
    const argv = ['redis-cli', '-h', fromApp ? redis : '127.0.0.1', '-p', '6379', ...args];
    return execIn(ctx.docker, fromApp ? app : redis, argv, { timeoutSec: opts.timeoutSec ?? 10 });
  };
  await waitFor('Redis to answer PONG', async () => matchingLine((await cli(['ping'])).stdout, /PONG/));
  // The fault as the application shows it: its health check answers 500.
  const failing = await waitFor(
    'the health check to answer 500',
    async () => {
      const r = await appHealth(ctx, app);
      return /HTTP\/1\.\d 500/.test(r.stderr)
        ? `${matchingLine(r.stderr, /HTTP\/1/)} ${r.stdout.trim()}`
        : undefined;
    },
    30_000,
  );
  const fromApp = await cli(['ping'], { from: 'client' });
  const reply = `${fromApp.stdout}${fromApp.stderr}`.trim();
  if (spec.wrongNetwork !== /Name or service not known|Could not connect/.test(reply))
    throw new LabError(`the app's PING does not show the fault: ${reply}`);
  return {
    target: {
      redis: { docker: { container: redis }, port: 6379 },
      clients: [
        {
          name: 'app',
          docker: { container: app },
          health: {
            url: `http://127.0.0.1:${APP_PORT}${HEALTH_PATH}`,
            status: 200,
            bodyPattern: '"redis_connection":"ok"',
          },
        },
      ],
    },
    evidence: [`health check: ${failing}`, `redis-cli PING from the app: ${reply}`],
    redisCli: cli,
    redisLogs: () => containerLogs(ctx.docker, redis),
  };
}

// A BullMQ-style worker for the queue scenario: takes jobs from <prefix>:<name>:wait into :active,
// then :completed, renewing :stalled-check as BullMQ workers do. With redis-cli, not BullMQ itself:
// the lab's images have no node. $1 the Redis host, $2 the queue's key prefix.
const WORKER_SCRIPT = String.raw`host=$1; q=$2
while true; do
  cli() { timeout 3 redis-cli -h "$host" -p 6379 "$@" 2>/dev/null; }
  cli SET "$q:stalled-check" 1 PX 5000 >/dev/null
  id=$(cli LMOVE "$q:wait" "$q:active" RIGHT LEFT)
  case "$id" in
    ''|*' '*) sleep 0.5 ;;
    *) cli LREM "$q:active" 1 "$id" >/dev/null; cli ZADD "$q:completed" "$(date +%s)" "$id" >/dev/null ;;
  esac
done`;

export const QUEUE = { prefix: 'bull', name: 'shell-query', jobs: 5 };

/** Seed 004: jobs wait in a queue whose only worker sits on another network than Redis. */
async function stalledQueue(ctx: ScenarioContext): Promise<ScenarioParts> {
  const redis = ctx.name('redis');
  const worker = ctx.name('app');
  const net = ctx.name('net');
  const other = ctx.name('net-other');
  for (const n of [net, other]) await createNetwork(ctx.docker, n, ctx.prefix);
  await runContainer(ctx.docker, { name: redis, prefix: ctx.prefix, network: net, cmd: REDIS_BASE_ARGS });
  const cli = async (args: readonly string[], opts: CliOptions = {}) => {
    const fromApp = opts.from === 'client';
    const argv = ['redis-cli', '-h', fromApp ? redis : '127.0.0.1', '-p', '6379', ...args];
    return execIn(ctx.docker, fromApp ? worker : redis, argv, { timeoutSec: opts.timeoutSec ?? 10 });
  };
  await waitFor('Redis to answer PONG', async () => matchingLine((await cli(['ping'])).stdout, /PONG/));
  const key = `${QUEUE.prefix}:${QUEUE.name}`;
  const ids = Array.from({ length: QUEUE.jobs }, (_, i) => String(i + 1));
  await cli(['LPUSH', `${key}:wait`, ...ids]);
  await runContainer(ctx.docker, {
    name: worker,
    prefix: ctx.prefix,
    network: other,
    cmd: ['sh', '-c', WORKER_SCRIPT, 'worker', redis, key],
  });
  // The worker runs and cannot reach Redis: the jobs stay where they are.
  await new Promise((r) => setTimeout(r, 1500));
  const waiting = (await cli(['LLEN', `${key}:wait`])).stdout.trim();
  if (waiting !== String(QUEUE.jobs))
    throw new LabError(`expected ${QUEUE.jobs} jobs waiting, got ${waiting}`);
  const fromWorker = await cli(['ping'], { from: 'client' });
  return {
    target: {
      redis: { docker: { container: redis }, port: 6379 },
      clients: [{ name: 'worker', docker: { container: worker } }],
      queues: { prefix: QUEUE.prefix, names: [QUEUE.name] },
    },
    evidence: [
      `LLEN ${key}:wait: ${waiting}`,
      `PING from the worker: ${`${fromWorker.stdout}${fromWorker.stderr}`.trim()}`,
    ],
    redisCli: cli,
    redisLogs: () => containerLogs(ctx.docker, redis),
  };
}

export const appScenarios = {
  'app-health': {
    seed: '002',
    description:
      'the app is on another network than Redis; its health check answers 500 until Redis is connected, then 200 by itself',
    setup: (ctx) => startApp(ctx, { mode: 'reconnects', wrongNetwork: true }),
  },
  'app-health-stale': {
    seed: '000/002',
    description:
      'the app is on another network and keeps the connection that failed at its start: after the network fix its health check still answers 500 until it is restarted',
    setup: (ctx) => startApp(ctx, { mode: 'stale', wrongNetwork: true }),
  },
  'app-unhealthy': {
    seed: '004',
    description: "Redis is healthy and reachable; the app's health check answers 500 for a reason of its own",
    setup: (ctx) => startApp(ctx, { mode: 'broken', wrongNetwork: false }),
  },
  'queue-stalled': {
    seed: '004',
    description:
      'jobs wait in the BullMQ queue bull:shell-query; its worker is on another network than Redis, so nothing moves until Redis is connected',
    setup: stalledQueue,
  },
} satisfies Record<string, ScenarioDef>;
