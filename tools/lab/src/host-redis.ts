import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CommandOutput, waitFor } from './docker.js';
import { matchingLine } from './docker-redis.js';
import { freeLoopbackPort, runHost } from './host.js';
import { LabError } from './lab-error.js';
import type { CliOptions } from './types.js';

export async function hostIds(user: string): Promise<{ uid: number; gid: number }> {
  const [u, g] = await Promise.all([runHost(['id', '-u', user]), runHost(['id', '-g', user])]);
  const uid = Number(u.stdout.trim());
  const gid = Number(g.stdout.trim());
  if (u.exitCode !== 0 || g.exitCode !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new LabError(`host user ${user} is missing: run tools/lab/install.sh`);
  }
  return { uid, gid };
}

/** The lab sshd's facts (tools/lab/start.sh): its host key, pinned and in full, and the client key. */
export interface SshFacts {
  hostKey: string;
  /** `ssh-ed25519 AAAA… comment`, for a known_hosts line. */
  hostPublicKey: string;
  privateKeyFile: string;
}

export async function readSshFacts(labDir: string): Promise<SshFacts> {
  const sshDir = join(labDir, 'ssh');
  try {
    const hostKey = (await readFile(join(sshDir, 'host_key_fingerprint'), 'utf8')).trim();
    const hostPublicKey = (await readFile(join(sshDir, 'ssh_host_ed25519_key.pub'), 'utf8')).trim();
    await readFile(join(sshDir, 'id_ed25519'));
    return { hostKey, hostPublicKey, privateKeyFile: join(sshDir, 'id_ed25519') };
  } catch (e) {
    throw new LabError(`the lab's sshd is not set up in ${sshDir}: run tools/lab/start.sh`, {
      cause: e,
    });
  }
}

export interface HostRedis {
  port: number;
  dataDir: string;
  logFile: string;
  cli(args: readonly string[], opts?: CliOptions): Promise<CommandOutput>;
  logs(): Promise<string>;
  reply(args: readonly string[], want: RegExp): Promise<string>;
}

/**
 * A redis-server on this machine's loopback, started as `runAs` (runuser plays a unit's User=, there
 * is no systemd) over `base`/data owned by `dataOwner`. Its --dir is under `base`, so teardown finds
 * it by its working dir. Resolves once it answers PONG.
 */
export async function startHostRedis(
  base: string,
  opts: { runAs: string; dataOwner: string; extraArgs: readonly string[] },
): Promise<HostRedis> {
  const dataDir = join(base, 'data');
  const logDir = join(base, 'log');
  const logFile = join(logDir, 'redis-server.log');
  const owner = await hostIds(opts.dataOwner);
  const runner = await hostIds(opts.runAs);
  await mkdir(dataDir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  await chmod(base, 0o755);
  await chown(dataDir, owner.uid, owner.gid);
  await chmod(dataDir, 0o755);
  // The log dir belongs to whoever runs Redis: otherwise a wrong user could not even start it.
  await chown(logDir, runner.uid, runner.gid);

  const port = await freeLoopbackPort();
  const server = ['redis-server', '--bind', '127.0.0.1', '--port', String(port), '--protected-mode', 'no'];
  const files = ['--dir', dataDir, '--logfile', logFile, '--daemonize', 'no'];
  const child = spawn('runuser', ['-u', opts.runAs, '--', ...server, ...files, ...opts.extraArgs], {
    detached: true,
    stdio: 'ignore',
  });
  child.on('error', () => undefined);
  child.unref();

  const cli = (args: readonly string[], o: CliOptions = {}): Promise<CommandOutput> =>
    runHost(['redis-cli', '-h', '127.0.0.1', '-p', String(port), ...args], {
      env: o.password !== undefined ? { REDISCLI_AUTH: o.password } : {},
      timeoutMs: (o.timeoutSec ?? 10) * 1000,
    });
  const reply = (args: readonly string[], want: RegExp) =>
    waitFor(`redis-cli ${args.join(' ')} to answer ${want}`, async () => {
      const r = await cli(args);
      return matchingLine(`${r.stdout}\n${r.stderr}`, want);
    });
  await reply(['ping'], /PONG/);
  return { port, dataDir, logFile, cli, reply, logs: () => readFile(logFile, 'utf8').catch(() => '') };
}

/** What OpenSSH needs to pin a host key: a known_hosts line for [host]:port. */
export async function writeKnownHosts(file: string, port: number, publicKey: string): Promise<void> {
  await writeFile(file, `[127.0.0.1]:${port} ${publicKey}\n`, { mode: 0o600 });
}

export interface SshPlace {
  port: number;
  user: string;
  privateKeyFile: string;
  knownHostsFile: string;
}

/**
 * Runs `command` with OpenSSH on loopback, using only the given key and known_hosts (no agent, no
 * ~/.ssh, no config), strict host key checking and a 2 s connect deadline, as a careful executor would.
 */
export function sshLoopback(place: SshPlace, command: string): Promise<CommandOutput> {
  const o = (opt: string) => ['-o', opt];
  return runHost(
    [
      'ssh',
      '-F',
      '/dev/null',
      '-p',
      String(place.port),
      '-i',
      place.privateKeyFile,
      ...o('IdentitiesOnly=yes'),
      ...o('IdentityAgent=none'),
      ...o('BatchMode=yes'),
      ...o('ConnectTimeout=2'),
      ...o('StrictHostKeyChecking=yes'),
      ...o(`UserKnownHostsFile=${place.knownHostsFile}`),
      ...o('GlobalKnownHostsFile=/dev/null'),
      `${place.user}@127.0.0.1`,
      command,
    ],
    { timeoutMs: 15_000 },
  );
}

/** One POSIX-shell word, for commands that cross SSH as a single string. */
export const shellWord = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * A port that accepts TCP and never sends a byte: a redis-server, stopped once it listens. The
 * kernel still completes handshakes into its 511-deep backlog, and a stopped process never answers.
 * Its --dir (its working dir) under `dir` is how teardown finds and kills it.
 */
export async function startStoppedListener(
  dir: string,
): Promise<{ port: number; pid: number; state: string }> {
  const owner = await hostIds('redis');
  await mkdir(dir, { recursive: true });
  await chown(dir, owner.uid, owner.gid);
  const port = await freeLoopbackPort();
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  // uid/gid straight from spawn (no runuser in between), so child.pid is the listener itself.
  const child = spawn('redis-server', [...args, '--daemonize', 'no'], {
    uid: owner.uid,
    gid: owner.gid,
    cwd: dir,
    detached: true,
    stdio: 'ignore',
  });
  child.on('error', () => undefined);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new LabError('redis-server did not start');
  await waitFor('the listener to listen', async () => {
    const argv = ['redis-cli', '-h', '127.0.0.1', '-p', String(port), 'ping'];
    return (await runHost(argv, { timeoutMs: 5000 })).stdout.trim() === 'PONG' ? true : undefined;
  });
  process.kill(pid, 'SIGSTOP');
  const state = await waitFor('the listener to be stopped', async () =>
    matchingLine(await readFile(`/proc/${pid}/status`, 'utf8'), /^State:\s+T/),
  );
  return { port, pid, state };
}
