import { BARE_IMAGE, containerState, execIn, waitFor } from './docker.js';
import {
  dockerParts,
  failBgsave,
  fillPastMaxmemory,
  MISOWNED,
  matchingLine,
  memoryLines,
  PERSISTENT_ARGS,
  REDIS_BASE_ARGS,
  startDockerRedis,
  waitForReply,
} from './docker-redis.js';
import { LabError } from './lab-error.js';
import type { ScenarioContext, ScenarioDef, ScenarioParts } from './types.js';

// Hard cases for the runbooks: a fault a plain ping check misreads, or two faults at once.

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).trim();

async function missingContainer(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, { redisArgs: REDIS_BASE_ARGS, clientOn: 'same', skipRedis: true });
  const inspect = await ctx.docker
    .getContainer(d.redis)
    .inspect()
    .then(
      () => undefined,
      (e: unknown) => message(e),
    );
  if (inspect === undefined) throw new LabError(`${d.redis} exists after all`);
  const reply = await waitForReply(d, ['ping'], /Name or service not known/, { from: 'client' });
  return dockerParts(d, d.target(), [inspect, reply]);
}

async function redisFrozen(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, { redisArgs: PERSISTENT_ARGS, clientOn: 'same' });
  await waitForReply(d, ['ping'], /PONG/, { from: 'client' });
  // SIGSTOP, as a stray `kill -STOP` or a debugger would: the process exists (not paused, so the
  // container reports running), the kernel still accepts connections, and nothing ever answers.
  await ctx.docker.getContainer(d.redis).kill({ signal: 'SIGSTOP' });
  const stopped = await waitFor('Redis to be stopped', async () => {
    const r = await execIn(ctx.docker, d.redis, ['grep', '^State:', '/proc/1/status'], { timeoutSec: 5 });
    return matchingLine(r.stdout, /T \(stopped\)/);
  });
  const state = await containerState(ctx.docker, d.redis);
  if (!state.running) throw new LabError(`${d.redis} is ${state.status}, not running`);
  const ping = await d.cli(['ping'], { from: 'client', timeoutSec: 2 });
  if (ping.stdout.trim() !== '' || ping.exitCode !== 137) {
    throw new LabError(`the frozen Redis answered: ${JSON.stringify(ping)}`);
  }
  return dockerParts(d, d.target(), [
    `redis pid 1: ${stopped}`,
    `container status: ${state.status}`,
    `redis-cli ping from the client: no reply within 2 s (killed, exit code ${ping.exitCode})`,
  ]);
}

async function misconfOom(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: [...PERSISTENT_ARGS, '--maxmemory', '2mb', '--maxmemory-policy', 'noeviction'],
    dataDir: MISOWNED,
    clientOn: 'same',
  });
  await waitForReply(d, ['ping'], /PONG/);
  // Fill first: once a BGSAVE has failed, MISCONF refuses the very writes that would fill it.
  await fillPastMaxmemory(d);
  const logLine = await failBgsave(d);
  const status = await waitForReply(d, ['info', 'persistence'], /rdb_last_bgsave_status:err/);
  // Redis checks maxmemory before the disk error: a write says OOM, a PING says MISCONF.
  const oom = await waitForReply(d, ['set', 'lab:probe', '1'], /^OOM command not allowed/, {
    from: 'client',
  });
  const misconf = await waitForReply(d, ['ping'], /^MISCONF/, { from: 'client' });
  return dockerParts(d, d.target({ dataDir: '/data' }), [
    logLine,
    status,
    oom,
    misconf,
    ...(await memoryLines(d)),
  ]);
}

async function wrongNetworkBgsave(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, { redisArgs: PERSISTENT_ARGS, dataDir: MISOWNED, clientOn: 'other' });
  const logLine = await failBgsave(d);
  const status = await waitForReply(d, ['info', 'persistence'], /rdb_last_bgsave_status:err/);
  const misconf = await waitForReply(d, ['set', 'lab:probe', '1'], /^MISCONF/);
  const unresolved = await waitForReply(d, ['ping'], /Name or service not known/, { from: 'client' });
  return dockerParts(d, d.target({ dataDir: '/data' }), [logLine, status, misconf, unresolved]);
}

async function clientNoCli(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: PERSISTENT_ARGS,
    clientOn: 'same',
    clientImage: BARE_IMAGE,
  });
  await waitForReply(d, ['ping'], /PONG/);
  // Exactly as an executor would exec it: no wrapper, so the engine's own answer is what shows.
  const noCli = await execIn(ctx.docker, d.client, ['redis-cli', '-h', d.redis, 'ping'], { raw: true });
  if (noCli.exitCode === 0) throw new LabError('the bare client has a redis-cli');
  // The network is fine: busybox nc from the same client gets PONG (QUIT makes Redis close at once).
  const nc = await waitFor('the client to reach Redis with nc', async () => {
    const script = 'printf "PING\\r\\nQUIT\\r\\n" | nc -w 2 "$1" 6379';
    const r = await execIn(ctx.docker, d.client, ['sh', '-c', script, 'probe', d.redis], { timeoutSec: 5 });
    return matchingLine(r.stdout, /^\+PONG/);
  });
  return dockerParts(d, d.target(), [
    `${noCli.stdout}${noCli.stderr}`.trim(),
    `exit code ${noCli.exitCode}`,
    `nc from the client: ${nc}`,
  ]);
}

export const hardScenarios = {
  'missing-container': {
    seed: '004',
    description: 'the target names a Redis container that was never created; its client runs',
    setup: missingContainer,
  },
  'redis-frozen': {
    seed: '004',
    description: 'Redis is SIGSTOPped: the container reports running, connections hang unanswered',
    setup: redisFrozen,
  },
  'misconf-oom': {
    seed: '000/004',
    description: 'misowned data dir (BGSAVE fails, MISCONF) and maxmemory 2mb filled: writes get OOM',
    setup: misconfOom,
  },
  'wrong-network-bgsave': {
    seed: '000/002',
    description: 'client on another network (name not known) and a misowned data dir (BGSAVE fails)',
    setup: wrongNetworkBgsave,
  },
  'client-no-cli': {
    seed: '-',
    description: 'Redis is fine; the client image has no redis-cli, so checks from the client cannot run',
    setup: clientNoCli,
  },
} satisfies Record<string, ScenarioDef>;
