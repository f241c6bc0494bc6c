import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import type { LabEnv } from './env.js';
import { LabError } from './lab-error.js';

export const LAB_IMAGE = 'localhost/runbook-bot-lab/redis:latest';
/** busybox only, no redis-cli: an app image like most slim ones (tools/lab/start.sh builds both). */
export const BARE_IMAGE = 'localhost/runbook-bot-lab/bare:latest';
export const LAB_LABEL = 'runbook-bot-lab.prefix';

export interface CommandOutput {
  stdout: string;
  stderr: string;
  /** null when the command could not be run at all (e.g. the container is not running). */
  exitCode: number | null;
}

export function labDocker(env: LabEnv): Docker {
  return new Docker({ socketPath: env.dockerSocket });
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Runs argv in a running container; a deadline kills it inside the container (busybox timeout).
 * `raw` runs argv as it is, the way an executor would, to see what the engine itself answers.
 */
export async function execIn(
  docker: Docker,
  container: string,
  argv: readonly string[],
  opts: { user?: string; env?: readonly string[]; timeoutSec?: number; raw?: boolean } = {},
): Promise<CommandOutput> {
  const cmd = opts.raw ? [...argv] : ['timeout', '-s', 'KILL', String(opts.timeoutSec ?? 30), ...argv];
  try {
    const exec = await docker.getContainer(container).exec({
      Cmd: cmd,
      AttachStdout: true,
      AttachStderr: true,
      ...(opts.user ? { User: opts.user } : {}),
      ...(opts.env ? { Env: [...opts.env] } : {}),
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const outStream = new PassThrough().on('data', (b: Buffer) => out.push(b));
    const errStream = new PassThrough().on('data', (b: Buffer) => err.push(b));
    docker.modem.demuxStream(stream, outStream, errStream);
    await new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    const info = await exec.inspect();
    return {
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      exitCode: info.ExitCode,
    };
  } catch (e) {
    return { stdout: '', stderr: message(e), exitCode: null };
  }
}

/** Starts argv in a container and leaves it running (a leaking client); it dies with the container. */
export async function execDetached(
  docker: Docker,
  container: string,
  argv: readonly string[],
): Promise<void> {
  const exec = await docker
    .getContainer(container)
    .exec({ Cmd: [...argv], AttachStdout: false, AttachStderr: false });
  const res: unknown = await exec.start({ Detach: true });
  // Podman answers a detached start with a response that stays open as long as the process runs;
  // dropping it leaves the process alone and lets a CLI exit.
  if (res && typeof (res as { destroy?: unknown }).destroy === 'function')
    (res as { destroy(): void }).destroy();
}

/** Splits Docker's multiplexed log buffer (8-byte frame headers) into plain text. */
export function demuxLogBuffer(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

export async function containerLogs(docker: Docker, container: string): Promise<string> {
  const buf = await docker.getContainer(container).logs({ stdout: true, stderr: true, follow: false });
  return demuxLogBuffer(buf);
}

export interface ContainerState {
  status: string;
  running: boolean;
  exitCode: number;
}

/** The container's address on one network (what a client dials instead of its name). */
export async function containerAddress(docker: Docker, container: string, network: string): Promise<string> {
  const info = await docker.getContainer(container).inspect();
  const ip = info.NetworkSettings.Networks[network]?.IPAddress;
  if (!ip) throw new LabError(`${container} has no address on ${network}`);
  return ip;
}

export async function containerState(docker: Docker, container: string): Promise<ContainerState> {
  const info = await docker.getContainer(container).inspect();
  return { status: info.State.Status, running: info.State.Running, exitCode: info.State.ExitCode };
}

export async function createNetwork(docker: Docker, name: string, prefix: string): Promise<void> {
  await docker.createNetwork({ Name: name, Labels: { [LAB_LABEL]: prefix } });
}

export interface ContainerSpec {
  name: string;
  prefix: string;
  network: string;
  cmd: readonly string[];
  binds?: readonly string[];
  /** LAB_IMAGE unless told. */
  image?: string;
  /** Supplementary groups of the container's processes (HostConfig.GroupAdd). */
  groupAdd?: readonly string[];
}

export async function runContainer(docker: Docker, spec: ContainerSpec): Promise<void> {
  const c = await docker.createContainer({
    name: spec.name,
    Image: spec.image ?? LAB_IMAGE,
    Cmd: [...spec.cmd],
    Labels: { [LAB_LABEL]: spec.prefix },
    // podman stop otherwise waits 10 s for busybox processes that ignore SIGTERM.
    StopTimeout: 1,
    HostConfig: {
      NetworkMode: spec.network,
      ...(spec.binds ? { Binds: [...spec.binds] } : {}),
      ...(spec.groupAdd ? { GroupAdd: [...spec.groupAdd] } : {}),
    },
  });
  await c.start();
}

/** Fails with what to run when a lab image is missing (tools/lab/start.sh builds them). */
export async function requireImage(docker: Docker, image: string): Promise<void> {
  try {
    await docker.getImage(image).inspect();
  } catch (e) {
    throw new LabError(`image ${image} is missing: run tools/lab/start.sh`, { cause: e });
  }
}

/** A client container: the same image (redis-cli, busybox sh/nc) idling. */
export const CLIENT_CMD = ['sleep', '2147483'] as const;

const named = (names: readonly string[] | undefined, prefix: string) =>
  (names ?? []).some((n) => n.replace(/^\//, '').startsWith(prefix));

export async function labContainers(docker: Docker, prefix: string): Promise<string[]> {
  const all = await docker.listContainers({ all: true });
  return all.filter((c) => named(c.Names, prefix)).map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ''));
}

export async function labNetworks(docker: Docker, prefix: string): Promise<string[]> {
  const all = await docker.listNetworks();
  return all.filter((n) => n.Name.startsWith(prefix)).map((n) => n.Name);
}

/** Removes every container, then every network, whose name starts with prefix. Safe to repeat. */
export async function removeDockerByPrefix(docker: Docker, prefix: string): Promise<void> {
  for (const name of await labContainers(docker, prefix)) {
    // Killing first spares remove() its stop timeout.
    await docker
      .getContainer(name)
      .kill({ signal: 'SIGKILL' })
      .catch(() => undefined);
    try {
      await docker.getContainer(name).remove({ force: true, v: true });
    } catch (e) {
      if (!/no such container|404/i.test(message(e))) throw e;
    }
  }
  for (const name of await labNetworks(docker, prefix)) {
    try {
      await docker.getNetwork(name).remove();
    } catch (e) {
      if (!/not found|404/i.test(message(e))) throw e;
    }
  }
}

/** Polls until check returns a value; throws a LabError naming what never happened. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const why = last === undefined ? '' : ` (last error: ${message(last)})`;
  throw new LabError(`timed out waiting for ${what}${why}`);
}
