import { randomBytes } from 'node:crypto';
import { execDetached, waitFor } from './docker.js';
import {
  dockerParts,
  failBgsave,
  fillPastMaxmemory,
  MISOWNED,
  memoryLines,
  REDIS_BASE_ARGS,
  SAVE_POINTS,
  startDockerRedis,
  waitForExit,
  waitForLog,
  waitForReply,
} from './docker-redis.js';
import type { ScenarioContext, ScenarioDef, ScenarioParts } from './types.js';

const parts = dockerParts;

async function rdbPermission(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: [...REDIS_BASE_ARGS, ...SAVE_POINTS, '--appendonly', 'no'],
    dataDir: MISOWNED,
    clientOn: 'same',
  });
  const logLine = await failBgsave(d);
  const status = await waitForReply(d, ['info', 'persistence'], /rdb_last_bgsave_status:err/);
  const misconf = await waitForReply(d, ['set', 'lab:probe', '1'], /^MISCONF/, { from: 'client' });
  return parts(d, d.target({ dataDir: '/data' }), [logLine, status, misconf]);
}

async function aofPermission(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: [...REDIS_BASE_ARGS, '--appendonly', 'yes'],
    dataDir: MISOWNED,
    clientOn: 'same',
  });
  const state = await waitForExit(ctx, d.redis);
  const line = await waitForLog(
    d,
    /Can't open or create append-only dir appendonlydir: Permission denied/,
    'the AOF error',
  );
  return parts(d, d.target({ dataDir: '/data' }), [line, `${state.status} (exit code ${state.exitCode})`]);
}

async function wrongNetwork(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, { redisArgs: REDIS_BASE_ARGS, clientOn: 'other' });
  await waitForReply(d, ['ping'], /PONG/);
  const reply = await waitForReply(d, ['ping'], /Name or service not known/, { from: 'client' });
  return parts(d, d.target(), [reply]);
}

async function containerStopped(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: [...REDIS_BASE_ARGS, ...SAVE_POINTS],
    clientOn: 'same',
  });
  await waitForReply(d, ['ping'], /PONG/);
  // SIGKILL, as a crash or an OOM kill would: no clean shutdown line in the log.
  await ctx.docker.getContainer(d.redis).kill({ signal: 'SIGKILL' });
  const state = await waitForExit(ctx, d.redis);
  const reply = await waitForReply(d, ['ping'], /Could not connect|Name or service not known/, {
    from: 'client',
  });
  return parts(d, d.target(), [`${state.status} (exit code ${state.exitCode})`, reply]);
}

async function maxmemory(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: [...REDIS_BASE_ARGS, '--maxmemory', '2mb', '--maxmemory-policy', 'noeviction'],
    clientOn: 'same',
  });
  await waitForReply(d, ['ping'], /PONG/);
  await fillPastMaxmemory(d);
  const oom = await waitForReply(d, ['set', 'lab:probe', '1'], /^OOM command not allowed/, {
    from: 'client',
  });
  return parts(d, d.target(), [oom, ...(await memoryLines(d))]);
}

async function maxclients(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: [...REDIS_BASE_ARGS, '--maxclients', '2'],
    clientOn: 'same',
  });
  await waitForReply(d, ['ping'], /PONG/);
  // The app leaks two idle connections; they live in an exec, so restarting the app releases them.
  const hog = 'for i in 1 2; do (sleep 2147483 | nc "$1" 6379) & done; wait';
  await execDetached(ctx.docker, d.client, ['sh', '-c', hog, 'leak', d.redis]);
  const reply = await waitForReply(d, ['ping'], /ERR max number of clients reached/, { from: 'client' });
  return parts(d, d.target(), [reply]);
}

async function authRefused(ctx: ScenarioContext): Promise<ScenarioParts> {
  const password = randomBytes(12).toString('hex');
  const d = await startDockerRedis(ctx, {
    redisArgs: [...REDIS_BASE_ARGS, '--requirepass', password],
    clientOn: 'same',
  });
  await waitForReply(d, ['ping'], /PONG/, { password });
  const passwordEnv = `${ctx.prefix.replaceAll('-', '_').toUpperCase()}REDIS_PASSWORD`;
  const wrong = `stale-${randomBytes(6).toString('hex')}`;
  const refused = await waitForReply(d, ['ping'], /WRONGPASS/, { from: 'client', password: wrong });
  const noauth = await waitForReply(d, ['ping'], /NOAUTH/, { from: 'client' });
  return {
    ...parts(d, d.target({ passwordEnv }), [refused, noauth]),
    env: { [passwordEnv]: wrong },
    redisPassword: password,
  };
}

async function healthy(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: [...REDIS_BASE_ARGS, ...SAVE_POINTS],
    clientOn: 'same',
  });
  const pong = await waitForReply(d, ['ping'], /PONG/, { from: 'client' });
  const set = await waitFor('a SET to succeed', async () => {
    const r = await d.cli(['set', 'lab:probe', '1'], { from: 'client' });
    return r.stdout.trim() === 'OK' ? 'OK' : undefined;
  });
  return parts(d, d.target(), [pong, set]);
}

export const dockerScenarios = {
  'rdb-permission': {
    seed: '000',
    description: 'data dir owned by uid 1001, Redis runs as 999: BGSAVE fails, writes get MISCONF',
    setup: rdbPermission,
  },
  'aof-permission': {
    seed: '001',
    description: 'appendonly yes over an unwritable data dir: Redis exits 1 at start',
    setup: aofPermission,
  },
  'wrong-network': {
    seed: '002',
    description: 'Redis on one network, its client on another: the name does not resolve',
    setup: wrongNetwork,
  },
  'container-stopped': {
    seed: '004',
    description: 'the Redis container was killed and is not running',
    setup: containerStopped,
  },
  maxmemory: {
    seed: '004',
    description: 'maxmemory 2mb with noeviction, filled past the limit: writes get OOM',
    setup: maxmemory,
  },
  maxclients: {
    seed: '004',
    description: 'maxclients 2 held by leaked client connections: new clients are refused',
    setup: maxclients,
  },
  'auth-refused': {
    seed: '002/004',
    description: 'requirepass set, the client holds a stale password: WRONGPASS',
    setup: authRefused,
  },
  healthy: { seed: '-', description: 'Redis and its client on one network, all fine', setup: healthy },
} satisfies Record<string, ScenarioDef>;
