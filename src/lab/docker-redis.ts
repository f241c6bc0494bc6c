import { chmod, chown, mkdir } from 'node:fs/promises';
import {
  CLIENT_CMD,
  type CommandOutput,
  containerLogs,
  containerState,
  createNetwork,
  execIn,
  runContainer,
  waitFor,
} from './docker.js';
import type { CliOptions, ScenarioContext } from './types.js';

export const REDIS_BASE_ARGS = ['redis-server', '--protected-mode', 'no'] as const;
/** Debian's and the official image's defaults, written out so every scenario states them. */
export const SAVE_POINTS = [
  '--save',
  '3600 1 300 100 60 10000',
  '--stop-writes-on-bgsave-error',
  'yes',
] as const;

export interface DockerRedisSpec {
  redisArgs: readonly string[];
  /** Bind-mount a host dir at /data with this owner and mode (the seed's misowned data dir). */
  dataDir?: { uid: number; gid: number; mode: number };
  /** Where the client container sits: Redis's network or a network of its own. */
  clientOn: 'same' | 'other';
}

export interface DockerRedis {
  redis: string;
  client: string;
  networks: string[];
  hostDataDir?: string;
  cli(args: readonly string[], opts?: CliOptions): Promise<CommandOutput>;
  logs(): Promise<string>;
  /** A target config in the targets-file shape (validated by the runner). */
  target(extra?: { dataDir?: string; passwordEnv?: string }): unknown;
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
  await runContainer(ctx.docker, {
    name: redis,
    prefix: ctx.prefix,
    network: netA,
    cmd: spec.redisArgs,
    ...(hostDataDir ? { binds: [`${hostDataDir}:/data`] } : {}),
  });
  await runContainer(ctx.docker, { name: client, prefix: ctx.prefix, network: netB, cmd: CLIENT_CMD });

  const cli = (args: readonly string[], opts: CliOptions = {}) => {
    const fromClient = opts.from === 'client';
    const argv = ['redis-cli', '-h', fromClient ? redis : '127.0.0.1', '-p', '6379', ...args];
    const env = opts.password !== undefined ? [`REDISCLI_AUTH=${opts.password}`] : undefined;
    return execIn(ctx.docker, fromClient ? client : redis, argv, { timeoutSec: 10, ...(env ? { env } : {}) });
  };
  return {
    redis,
    client,
    networks,
    ...(hostDataDir ? { hostDataDir } : {}),
    cli,
    logs: () => containerLogs(ctx.docker, redis),
    target: (extra = {}) => ({
      redis: { docker: { container: redis }, port: 6379, ...extra },
      clients: [{ name: 'app', docker: { container: client } }],
    }),
  };
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
