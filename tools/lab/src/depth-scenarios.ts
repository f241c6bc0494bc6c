// Seeds 001 and 004 in depth: faults of a Redis that keeps running, so only its own counters and
// the files behind them show what is wrong.
import { execIn } from './docker.js';
import {
  dockerParts,
  MISOWNED,
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

export const depthScenarios = {
  'aof-rewrite-denied': {
    seed: '001',
    description:
      'appendonlydir owned by uid 1001 under a running Redis (999): writes go on, BGREWRITEAOF fails, the next start would fail',
    setup: aofRewriteDenied,
  },
} satisfies Record<string, ScenarioDef>;
