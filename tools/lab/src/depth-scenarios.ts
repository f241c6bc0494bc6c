// Seeds 001 and 004 in depth: faults of a Redis that keeps running, so only its own counters and
// the files behind them show what is wrong.
import { execIn } from './docker.js';
import {
  dockerParts,
  fillPastMaxmemory,
  MISOWNED,
  memoryLines,
  REDIS_BASE_ARGS,
  startDockerRedis,
  waitForLog,
  waitForReply,
} from './docker-redis.js';
import type { ScenarioContext, ScenarioDef, ScenarioParts } from './types.js';

/**
 * appendonlydir handed to another uid while Redis runs: writes go on into the open incr file, but
 * the rewrite cannot open the next one (seed 001's denial, on a live Redis).
 */
async function aofRewriteDenied(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: [...REDIS_BASE_ARGS, '--appendonly', 'yes', '--save', ''],
    clientOn: 'same',
  });
  await waitForReply(d, ['ping'], /PONG/);
  const { uid, gid, mode } = MISOWNED;
  const misown = `chown -R ${uid}:${gid} /data/appendonlydir && chmod ${mode.toString(8)} /data/appendonlydir`;
  const done = await execIn(ctx.docker, d.redis, ['sh', '-c', misown], { user: 'root' });
  if (done.exitCode !== 0) throw new Error(`could not misown appendonlydir: ${done.stderr}`);
  await d.cli(['set', 'lab:before', '1']);
  await d.cli(['bgrewriteaof']);
  const line = await waitForLog(d, /Can't open the append-only file .*Permission denied/, 'the AOF error');
  const status = await waitForReply(d, ['info', 'persistence'], /aof_last_bgrewrite_status:err/);
  const write = await waitForReply(d, ['set', 'lab:probe', '1'], /^OK$/, { from: 'client' });
  return dockerParts(d, d.target({ dataDir: '/data' }), [line, status, `SET from the client → ${write}`]);
}

/**
 * A full Redis whose policy has nothing to evict: volatile-lru with no key that has a TTL refuses
 * writes exactly as noeviction does (seed 004, "memory limit reached").
 */
async function volatileLruFull(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: [...REDIS_BASE_ARGS, '--maxmemory', '2mb', '--maxmemory-policy', 'volatile-lru'],
    clientOn: 'same',
  });
  await waitForReply(d, ['ping'], /PONG/);
  // Sessions written without a TTL: the app's bug the seed's "review session TTL" points at.
  const sessions = "for i=1,25 do redis.call('SET','sess:'..i,string.rep('s',512)) end return 25";
  await d.cli(['eval', sessions, '0']);
  await fillPastMaxmemory(d);
  const oom = await waitForReply(d, ['set', 'lab:probe', '1'], /^OOM command not allowed/, {
    from: 'client',
  });
  const keyspace = await waitForReply(d, ['info', 'keyspace'], /^db0:keys=\d+,expires=0/);
  return dockerParts(d, { ...d.target(), redis: { ...d.target().redis, sessionPattern: 'sess:*' } }, [
    oom,
    keyspace,
    ...(await memoryLines(d)),
  ]);
}

export const depthScenarios = {
  'aof-rewrite-denied': {
    seed: '001',
    description:
      'appendonlydir owned by uid 1001 under a running Redis (999): writes go on, BGREWRITEAOF fails, the next start would fail',
    setup: aofRewriteDenied,
  },
  'volatile-lru-full': {
    seed: '004',
    description:
      'maxmemory 2mb with volatile-lru and no key with a TTL (sessions included): nothing to evict, writes get OOM',
    setup: volatileLruFull,
  },
} satisfies Record<string, ScenarioDef>;
