// Seeds 001 and 004 in depth: faults of a Redis that keeps running, so only its own counters and
// the files behind them show what is wrong.
import { execDetached, execIn } from './docker.js';
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
  // A link inside to a file outside, owned by someone else: a repair must change the link, never it.
  const misown = `chown -R ${uid}:${gid} /data/appendonlydir && chmod ${mode.toString(8)} /data/appendonlydir && touch /outside && chown 1234:1234 /outside && ln -s /outside /data/appendonlydir/outside-link`;
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

/**
 * An app that opens a subscriber per request and never closes it, in an image with no netstat: 8 of
 * 10 connections are idle pub/sub clients, which Redis's idle timeout never closes (seed 004).
 */
async function pubsubLeak(ctx: ScenarioContext): Promise<ScenarioParts> {
  const d = await startDockerRedis(ctx, {
    redisArgs: [...REDIS_BASE_ARGS, '--maxclients', '10', '--timeout', '2'],
    clientOn: 'same',
  });
  await waitForReply(d, ['ping'], /PONG/);
  const noNetstat = 'rm -f /bin/netstat /sbin/netstat /usr/bin/netstat /usr/sbin/netstat && ! which netstat';
  const gone = await execIn(ctx.docker, d.client, ['sh', '-c', noNetstat], { user: 'root' });
  if (gone.exitCode !== 0) throw new Error('the client still has netstat');
  const leak =
    'for i in 1 2 3 4 5 6 7 8; do (printf "SUBSCRIBE lab:events\\r\\n"; sleep 2147483) | nc "$1" 6379 >/dev/null & done; wait';
  await execDetached(ctx.docker, d.client, ['sh', '-c', leak, 'leak', d.redis]);
  const held = await waitForReply(d, ['info', 'clients'], /^connected_clients:9\b/);
  // Past the bot's idle floor, and past `timeout 2`: still there, as the seed's fix would not expect.
  await new Promise((r) => setTimeout(r, 6000));
  const list = await d.cli(['client', 'list']);
  const subs = list.stdout.split('\n').filter((l) => /flags=P/.test(l));
  if (subs.length < 8) throw new Error(`expected 8 idle subscribers, CLIENT LIST shows ${subs.length}`);
  return dockerParts(d, d.target(), [
    held,
    `${subs.length} connections with flags=P after 6 s with timeout 2`,
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
  'pubsub-leak': {
    seed: '004',
    description:
      '8 of 10 connections are idle pub/sub subscribers of the app (no netstat in its image); timeout 2 does not close them',
    setup: pubsubLeak,
  },
} satisfies Record<string, ScenarioDef>;
