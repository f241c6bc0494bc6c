import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type CommandOutput, waitFor } from './docker.js';
import { matchingLine, SAVE_POINTS } from './docker-redis.js';
import { freeLoopbackPort, runHost, tcpProbe } from './host.js';
import {
  type HostRedis,
  readSshFacts,
  type SshFacts,
  shellWord,
  sshLoopback,
  startHostRedis,
  startStoppedListener,
  writeKnownHosts,
} from './host-redis.js';
import { LabError } from './lab-error.js';
import type { ScenarioContext, ScenarioDef, ScenarioParts } from './types.js';

// SSH targets whose SSH facts are what is broken, in the shape of service-user-mismatch's target.
// `ssh` runs OpenSSH with exactly those facts, so each fault shows up in OpenSSH's own words.

type Ssh = (command: string) => Promise<CommandOutput>;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).trim();
const trimmed = (r: CommandOutput) => `${r.stdout}${r.stderr}`.trim();

interface SshTarget {
  port: number;
  privateKeyFile: string;
  hostKey: string;
  /** The full key the pinned fingerprint stands for, so OpenSSH can pin it too. */
  pinnedPublicKey: string;
}

const labKeys = (f: SshFacts, port: number): SshTarget => ({
  port,
  privateKeyFile: f.privateKeyFile,
  hostKey: f.hostKey,
  pinnedPublicKey: f.hostPublicKey,
});

/**
 * The target and probes. Behind an unreachable "host" there is no Redis: its port is a free one,
 * never 6379 (the bot's own test Redis on this machine), and redis-cli can only go through SSH.
 */
async function sshParts(
  ctx: ScenarioContext,
  t: SshTarget,
  redis: HostRedis | undefined,
  evidence: (ssh: Ssh) => Promise<string[]>,
): Promise<ScenarioParts> {
  const dir = ctx.hostPath('ssh');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const knownHostsFile = join(dir, 'known_hosts');
  await writeKnownHosts(knownHostsFile, t.port, t.pinnedPublicKey);
  const { port, privateKeyFile, hostKey } = t;
  const ssh: Ssh = (command) => sshLoopback({ port, user: 'root', privateKeyFile, knownHostsFile }, command);
  const redisPort = redis?.port ?? (await freeLoopbackPort());
  const overSsh = (args: readonly string[]) =>
    ssh(['redis-cli', '-h', '127.0.0.1', '-p', String(redisPort), ...args].map(shellWord).join(' '));
  return {
    target: {
      redis: {
        ssh: { host: '127.0.0.1', port, user: 'root', privateKeyFile, hostKey },
        port: redisPort,
        ...(redis ? { dataDir: redis.dataDir, serviceUser: 'redis', logFile: redis.logFile } : {}),
      },
    },
    evidence: await evidence(ssh),
    redisCli: redis?.cli ?? overSsh,
    redisLogs: redis?.logs ?? (() => Promise.resolve('')),
    ssh,
  };
}

/** Runs `true` over the target's SSH until its output holds a line for each pattern; those lines. */
const sshSays = (ssh: Ssh, ...want: RegExp[]) =>
  waitFor(`ssh to answer ${want.join(' and ')}`, async () => {
    const out = trimmed(await ssh('true'));
    const found = want.map((w) => matchingLine(out, w)).filter((l): l is string => l !== undefined);
    return found.length === want.length ? found : undefined;
  });

async function sshRefused(ctx: ScenarioContext): Promise<ScenarioParts> {
  const facts = await readSshFacts(ctx.env.labDir);
  const port = await freeLoopbackPort();
  // Free a moment ago; a refused connect shows that nothing took it since.
  const probe = await tcpProbe(port, 0);
  if (probe.connected) throw new LabError(`something listens on 127.0.0.1:${port}`);
  return sshParts(ctx, labKeys(facts, port), undefined, async (ssh) => [
    `tcp connect: ${probe.error ?? 'no error'}`,
    ...(await sshSays(ssh, /Connection refused/)),
  ]);
}

async function sshSilent(ctx: ScenarioContext): Promise<ScenarioParts> {
  const facts = await readSshFacts(ctx.env.labDir);
  const { port, pid, state } = await startStoppedListener(ctx.hostPath('silent'));
  const probe = await tcpProbe(port, 1000);
  if (!probe.connected || probe.bytes !== 0) {
    throw new LabError(`the silent port is not silent: ${JSON.stringify(probe)}`);
  }
  return sshParts(ctx, labKeys(facts, port), undefined, async () => [
    `listener pid ${pid}: ${state}`,
    `tcp connect: ok, ${probe.bytes} bytes in 1000 ms`,
  ]);
}

/** A healthy Redis behind the lab's real sshd: with the right SSH facts everything works. */
const healthyHostRedis = (ctx: ScenarioContext) =>
  startHostRedis(ctx.hostPath('host'), { runAs: 'redis', dataOwner: 'redis', extraArgs: SAVE_POINTS });

async function hostKeyMismatch(ctx: ScenarioContext): Promise<ScenarioParts> {
  const facts = await readSshFacts(ctx.env.labDir);
  const r = await healthyHostRedis(ctx);
  // The host was rebuilt, or it is not the host we think: the pin is of another, real key.
  const keyDir = ctx.hostPath('other-host-key');
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  const keyFile = join(keyDir, 'ssh_host_ed25519_key');
  const gen = await runHost([
    'ssh-keygen',
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'not-this-host',
    '-f',
    keyFile,
  ]);
  if (gen.exitCode !== 0) throw new LabError(`ssh-keygen failed: ${trimmed(gen)}`);
  const pinned = (await runHost(['ssh-keygen', '-lf', `${keyFile}.pub`])).stdout.trim();
  const realKey = join(ctx.env.labDir, 'ssh', 'ssh_host_ed25519_key.pub');
  const real = (await runHost(['ssh-keygen', '-lf', realKey])).stdout.trim();
  const hostKey = pinned.split(' ')[1] ?? '';
  if (hostKey === facts.hostKey) throw new LabError('the fresh key is the real one');
  const pinnedPublicKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
  const t = { ...labKeys(facts, ctx.env.sshPort), hostKey, pinnedPublicKey };
  return sshParts(ctx, t, r, async (ssh) => [
    `pinned: ${pinned}`,
    `real:   ${real}`,
    ...(await sshSays(ssh, /REMOTE HOST IDENTIFICATION HAS CHANGED/, /Host key verification failed/)),
    `redis-cli ping on the host: ${(await r.cli(['ping'])).stdout.trim()}`,
  ]);
}

async function sshMissingKey(ctx: ScenarioContext): Promise<ScenarioParts> {
  const facts = await readSshFacts(ctx.env.labDir);
  const r = await healthyHostRedis(ctx);
  // The targets file names a key that was never deployed to this machine.
  const privateKeyFile = join(ctx.hostPath('ssh'), 'id_ed25519');
  const missing = await stat(privateKeyFile).then(
    () => undefined,
    (e: unknown) => message(e),
  );
  if (missing === undefined) throw new LabError(`${privateKeyFile} exists`);
  return sshParts(ctx, { ...labKeys(facts, ctx.env.sshPort), privateKeyFile }, r, async (ssh) => [
    missing,
    ...(await sshSays(ssh, /Identity file .* not accessible/, /Permission denied \(publickey\)/)),
    `redis-cli ping on the host: ${(await r.cli(['ping'])).stdout.trim()}`,
  ]);
}

export const sshScenarios = {
  'ssh-refused': {
    seed: '003',
    description: 'SSH target on a loopback port where nothing listens: connection refused',
    setup: sshRefused,
  },
  'ssh-silent': {
    seed: '003',
    description: 'SSH target on a port that accepts TCP and never sends a byte (a stopped listener)',
    setup: sshSilent,
  },
  'host-key-mismatch': {
    seed: '003',
    description: "the real sshd, but the target pins another key's fingerprint: verification fails",
    setup: hostKeyMismatch,
  },
  'ssh-missing-key': {
    seed: '003',
    description: 'the target names a private key file that does not exist; the host behind is fine',
    setup: sshMissingKey,
  },
} satisfies Record<string, ScenarioDef>;
