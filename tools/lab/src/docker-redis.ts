import { chmod, chown, mkdir } from 'node:fs/promises';
import {
  CLIENT_CMD,
  type CommandOutput,
  containerAddress,
  containerLogs,
  containerState,
  createNetwork,
  execIn,
  requireImage,
  runContainer,
  waitFor,
} from './docker.js';
import type { LabTargetInput } from './lab-target.js';
import type { CliOptions, ScenarioContext, ScenarioParts } from './types.js';

export const REDIS_BASE_ARGS = ['redis-server', '--protected-mode', 'no'] as const;
/** Debian's and the official image's defaults, written out so every scenario states them. */
export const SAVE_POINTS = [
  '--save',
  '3600 1 300 100 60 10000',
  '--stop-writes-on-bgsave-error',
  'yes',
] as const;

/** RDB with the default save points, no AOF: a failed BGSAVE turns into MISCONF for writes. */
export const PERSISTENT_ARGS = [...REDIS_BASE_ARGS, ...SAVE_POINTS, '--appendonly', 'no'] as const;

// The seed's data dir: owned by a host user (uid 1001) while Redis in the container runs as 999.
export const MISOWNED = { uid: 1001, gid: 1001, mode: 0o755 };

export interface DockerRedisSpec {
  redisArgs: readonly string[];
  /** Bind-mount a host dir at /data with this owner and mode (the seed's misowned data dir). */
  dataDir?: { uid: number; gid: number; mode: number };
  /** Where the client container sits: Redis's network or a network of its own. */
  clientOn: 'same' | 'other';
  /** Supplementary groups for Redis (a data dir shared through its group). */
  groupAdd?: readonly string[];
  /** The client's image: LAB_IMAGE (with redis-cli) unless told. */
  clientImage?: string;
  /** Never create the Redis container: the target names one that does not exist. */
  skipRedis?: boolean;
  /**
   * The client dials Redis's address, not its name: right after a restart Podman's DNS can stall
   * for 30-60 s, which scenarios not about name resolution must not depend on.
   */
  clientByAddress?: boolean;
}

export interface DockerRedis {
  redis: string;
  client: string;
  networks: string[];
  hostDataDir?: string;
  cli(args: readonly string[], opts?: CliOptions): Promise<CommandOutput>;
  logs(): Promise<string>;
  /** A target config in the targets-file shape (validated by the runner). */
  target(extra?: { dataDir?: string; passwordEnv?: string }): LabTargetInput;
}

export async function startDockerRedis(ctx: ScenarioContext, spec: DockerRedisSpec): Promise<DockerRedis> {
  const redis = ctx.name('redis');
  const client = ctx.name('app');
  const netA = ctx.name('net');
  const netB = spec.clientOn === 'other' ? ctx.name('net-other') : netA;
  const networks = netA === netB ? [netA] : [netA, netB];
  for (const n of networks) await createNetwork(ctx.docker, n, ctx.prefix);

  let hostDataDir: string | undefined;
  if (spec.dataDir) {
    hostDataDir = ctx.hostPath('data');
    await mkdir(hostDataDir, { recursive: true });
    await chown(hostDataDir, spec.dataDir.uid, spec.dataDir.gid);
    await chmod(hostDataDir, spec.dataDir.mode);
  }
  if (spec.clientImage) await requireImage(ctx.docker, spec.clientImage);
  if (!spec.skipRedis) {
    await runContainer(ctx.docker, {
      name: redis,
      prefix: ctx.prefix,
      network: netA,
      cmd: spec.redisArgs,
      ...(hostDataDir ? { binds: [`${hostDataDir}:/data`] } : {}),
      ...(spec.groupAdd ? { groupAdd: spec.groupAdd } : {}),
    });
  }
  await runContainer(ctx.docker, {
    name: client,
    prefix: ctx.prefix,
    network: netB,
    cmd: CLIENT_CMD,
    ...(spec.clientImage ? { image: spec.clientImage } : {}),
  });

  // Looked up on every call: a restarted container gets a new address.
  const dialed = async () => (spec.clientByAddress ? containerAddress(ctx.docker, redis, netA) : redis);
  const cli = async (args: readonly string[], opts: CliOptions = {}) => {
    const fromClient = opts.from === 'client';
    const host = fromClient ? await dialed() : '127.0.0.1';
    const argv = ['redis-cli', '-h', host, '-p', '6379', ...args];
    const env = opts.password !== undefined ? [`REDISCLI_AUTH=${opts.password}`] : undefined;
    return execIn(ctx.docker, fromClient ? client : redis, argv, {
      timeoutSec: opts.timeoutSec ?? 10,
      ...(env ? { env } : {}),
    });
  };
  return {
    redis,
    client,
    networks,
    ...(hostDataDir ? { hostDataDir } : {}),
    cli,
    // A container that was never created has no logs to show; `docker logs` would only say 404.
    logs: () => (spec.skipRedis ? Promise.resolve('') : containerLogs(ctx.docker, redis)),
    target: (extra = {}) => ({
      redis: { docker: { container: redis }, port: 6379, ...extra },
      clients: [{ name: 'app', docker: { container: client } }],
    }),
  };
}

export const dockerParts = (d: DockerRedis, target: LabTargetInput, evidence: string[]): ScenarioParts => ({
  target,
  evidence,
  redisCli: d.cli,
  redisLogs: d.logs,
});

/** One script writes past the limit: Redis checks maxmemory before a script, not between its writes. */
export async function fillPastMaxmemory(d: DockerRedis): Promise<void> {
  const fill = "for i=1,400 do redis.call('SET','lab:fill:'..i,string.rep('x',10240)) end return 400";
  await d.cli(['eval', fill, '0']);
}

/** `INFO memory` lines that show the limit and what is used, trimmed. */
export async function memoryLines(d: DockerRedis): Promise<string[]> {
  const mem = await d.cli(['info', 'memory']);
  return mem.stdout
    .split('\n')
    .filter((l) => /^(used_memory|maxmemory|maxmemory_policy):/.test(l))
    .map((l) => l.trim());
}

/** BGSAVE over a dir Redis cannot write, until the seed's log line shows up; returns that line. */
export async function failBgsave(d: DockerRedis): Promise<string> {
  await waitForReply(d, ['ping'], /PONG/);
  await d.cli(['bgsave']);
  return waitForLog(d, /Failed opening the temp RDB file .*Permission denied/, 'the RDB error in the log');
}

/** The first line of output that matches, trimmed; the evidence a person would quote. */
export const matchingLine = (text: string, want: RegExp) =>
  text
    .split('\n')
    .find((l) => want.test(l))
    ?.trim();

/** Waits until redis-cli from inside the Redis container gets an answer that matches. */
export function waitForReply(d: DockerRedis, args: readonly string[], want: RegExp, opts: CliOptions = {}) {
  return waitFor(`redis-cli ${args.join(' ')} to answer ${want}`, async () => {
    const r = await d.cli(args, opts);
    return matchingLine(`${r.stdout}\n${r.stderr}`, want);
  });
}

export function waitForLog(d: DockerRedis, want: RegExp, what: string): Promise<string> {
  return waitFor(what, async () => {
    return matchingLine(await d.logs(), want);
  });
}

export function waitForExit(ctx: ScenarioContext, container: string) {
  return waitFor(`${container} to exit`, async () => {
    const s = await containerState(ctx.docker, container);
    return s.running ? undefined : s;
  });
}
