import { chown } from 'node:fs/promises';
import { execIn, waitFor } from './docker.js';
import {
  type DockerRedis,
  dockerParts,
  failBgsave,
  MISOWNED,
  matchingLine,
  PERSISTENT_ARGS,
  REDIS_BASE_ARGS,
  startDockerRedis,
  waitForLog,
  waitForReply,
} from './docker-redis.js';
import { LabError } from './lab-error.js';
import type { ScenarioContext, ScenarioDef, ScenarioParts } from './types.js';

// Healthy systems that look broken to a runbook matching on the wrong thing: an old log line, a
// data dir Redis cannot write but never needs to, a dir it can write only through a group.

const dirStat = async (ctx: ScenarioContext, d: DockerRedis) =>
  (await execIn(ctx.docker, d.redis, ['stat', '-c', '%u:%g %a', '/data'], { timeoutSec: 5 })).stdout.trim();

/** Waits until a BGSAVE has really run and succeeded (-1 means none ran since Redis started). */
function waitForBgsaveOk(d: DockerRedis): Promise<string> {
  return waitFor('a BGSAVE to succeed', async () => {
    const info = (await d.cli(['info', 'persistence'])).stdout;
    const ran = /rdb_bgsave_in_progress:0/.test(info) && /rdb_last_bgsave_time_sec:\d/.test(info);
    return ran ? matchingLine(info, /rdb_last_bgsave_status:ok/) : undefined;
  });
}

const writesOk = (d: DockerRedis) =>
  waitFor('a SET from the client to succeed', async () => {
    const r = await d.cli(['set', 'lab:probe', '1'], { from: 'client' });
    return r.stdout.trim() === 'OK' ? 'OK' : undefined;
  });

async function staleLogsHealthy(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: PERSISTENT_ARGS,
    dataDir: MISOWNED,
    clientOn: 'same',
    // The restart below is not about name resolution; Podman's DNS may stall right after it.
    clientByAddress: true,
  });
  const oldLine = await failBgsave(d);
  // Someone already fixed it: the dir now belongs to Redis's uid and the container was restarted.
  // Its log keeps the first run's lines. The stop saves (the dir is writable now), so 1 s is plenty.
  if (!d.hostDataDir) throw new LabError('no host data dir');
  await chown(d.hostDataDir, 999, 999);
  await ctx.docker.getContainer(d.redis).restart({ t: 1 });
  await waitForReply(d, ['ping'], /PONG/);
  await d.cli(['bgsave']);
  const saved = await waitForLog(d, /Background saving terminated with success/, 'a BGSAVE to succeed');
  const status = await waitForBgsaveOk(d);
  const set = await writesOk(d);
  // The target's clients dial the name, so hand over only once the name answers again: the first
  // lookup after a restart sometimes stalls ~30 s in Podman's DNS (seen here 1 restart in 6).
  const byName = await waitFor(
    'the client to reach Redis by name again',
    async () => {
      const argv = ['redis-cli', '-h', d.redis, 'ping'];
      const r = await execIn(ctx.docker, d.client, argv, { timeoutSec: 60 });
      return r.stdout.trim() === 'PONG' ? `by name from the client: ${r.stdout.trim()}` : undefined;
    },
    90_000,
  );
  return dockerParts(d, d.target({ dataDir: '/data' }), [
    `earlier run: ${oldLine}`,
    saved,
    status,
    set,
    byName,
  ]);
}

async function persistenceOffRootDir(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: [...REDIS_BASE_ARGS, '--save', '', '--appendonly', 'no'],
    dataDir: { uid: 0, gid: 0, mode: 0o755 },
    clientOn: 'same',
  });
  // No BGSAVE here on purpose: with nothing to save, the unwritable dir never matters.
  const pong = await waitForReply(d, ['ping'], /PONG/, { from: 'client' });
  const set = await writesOk(d);
  const info = (await d.cli(['info', 'persistence'])).stdout;
  const status = matchingLine(info, /^rdb_last_bgsave_status:ok/);
  const never = matchingLine(info, /^rdb_last_bgsave_time_sec:-1/);
  if (!status || !never) throw new LabError(`unexpected persistence info: ${info}`);
  const save = (await d.cli(['config', 'get', 'save'])).stdout;
  return dockerParts(d, d.target({ dataDir: '/data' }), [
    pong,
    set,
    status,
    never,
    `config get save: ${JSON.stringify(save)}`,
    `/data: ${await dirStat(ctx, d)}`,
  ]);
}

async function groupWritableDir(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: PERSISTENT_ARGS,
    dataDir: { uid: 1001, gid: 1001, mode: 0o775 },
    groupAdd: ['1001'],
    clientOn: 'same',
  });
  await waitForReply(d, ['ping'], /PONG/);
  // The server's own groups are what matter; an exec's `id` only shows the exec's.
  const groups = await waitFor('Redis to hold group 1001', async () => {
    const r = await execIn(ctx.docker, d.redis, ['grep', '^Groups:', '/proc/1/status'], { timeoutSec: 5 });
    return matchingLine(r.stdout, /\b1001\b/);
  });
  const id = (await execIn(ctx.docker, d.redis, ['id'], { timeoutSec: 5 })).stdout.trim();
  await d.cli(['bgsave']);
  const saved = await waitForLog(d, /Background saving terminated with success/, 'a BGSAVE to succeed');
  const status = await waitForBgsaveOk(d);
  return dockerParts(d, d.target({ dataDir: '/data' }), [
    `/data: ${await dirStat(ctx, d)}`,
    id,
    `redis pid 1: ${groups}`,
    saved,
    status,
  ]);
}

export const lookalikeScenarios = {
  'stale-logs-healthy': {
    seed: '000',
    description:
      'healthy; the log still holds an RDB Permission denied line from an earlier run (fixed since)',
    setup: staleLogsHealthy,
  },
  'persistence-off-root-dir': {
    seed: '000',
    description: 'healthy; /data is root-owned 0755 but save "" and appendonly no never write there',
    setup: persistenceOffRootDir,
  },
  'group-writable-dir': {
    seed: '000',
    description: 'healthy; /data owned by 1001 mode 0775, Redis (999) writes through group 1001',
    setup: groupWritableDir,
  },
} satisfies Record<string, ScenarioDef>;
