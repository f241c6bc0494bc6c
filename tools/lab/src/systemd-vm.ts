import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CommandOutput, LAB_LABEL, waitFor } from './docker.js';
import { freeLoopbackPort, runHost } from './host.js';
import { readSshFacts, sshLoopback, writeKnownHosts } from './host-redis.js';
import { LabError } from './lab-error.js';
import type { ScenarioContext } from './types.js';

// A Debian "VM" for seed 003: a container from tools/lab/start.sh's systemd-vm image, started by
// Podman with --systemd=always so that real systemd 252 is PID 1, with Debian's packaged
// redis-server.service and sshd inside, its port 22 published on loopback only.
export const SYSTEMD_IMAGE = 'localhost/runbook-bot-lab/systemd-vm:latest';

export interface SystemdVm {
  container: string;
  port: number;
  hostKey: string;
  hostPublicKey: string;
  privateKeyFile: string;
  /** Runs argv as root inside the VM (podman exec), for setting up the fault and for probes. */
  exec(argv: readonly string[], timeoutMs?: number): Promise<CommandOutput>;
  /** Runs a command over the VM's real sshd as `user`, pinning its host key. */
  ssh(user: string, command: string): Promise<CommandOutput>;
}

const out = (r: CommandOutput) => `${r.stdout}${r.stderr}`.trim();

/** Boots the VM and waits until systemd says the system is up and sshd accepts the lab's key. */
export async function startSystemdVm(ctx: ScenarioContext): Promise<SystemdVm> {
  const exists = await runHost(['podman', 'image', 'exists', SYSTEMD_IMAGE]);
  if (exists.exitCode !== 0) throw new LabError(`image ${SYSTEMD_IMAGE} is missing: run tools/lab/start.sh`);
  const facts = await readSshFacts(ctx.env.labDir);
  const container = ctx.name('vm');
  const port = await freeLoopbackPort();
  const run = await runHost([
    'podman',
    'run',
    '-d',
    '--name',
    container,
    '--label',
    `${LAB_LABEL}=${ctx.prefix}`,
    '--systemd=always',
    '--hostname',
    'redis-vm',
    '-p',
    `127.0.0.1:${port}:22`,
    SYSTEMD_IMAGE,
    '/sbin/init',
  ]);
  if (run.exitCode !== 0) throw new LabError(`podman run --systemd=always failed: ${out(run)}`);
  const exec = (argv: readonly string[], timeoutMs = 30_000) =>
    runHost(['podman', 'exec', container, ...argv], { timeoutMs });
  await waitFor('systemd in the VM to finish booting', async () => {
    const r = await exec(['systemctl', 'is-system-running']);
    return /^(running|degraded)$/m.test(r.stdout) ? true : undefined;
  });
  const pub = (await readFile(`${facts.privateKeyFile}.pub`, 'utf8')).trim();
  // The lab's client key for root, ops (passwordless sudo) and guest (no sudo at all).
  const keys = [
    'for u in root ops guest; do',
    '  h=$(getent passwd "$u" | cut -d: -f6); install -d -m 700 -o "$u" -g "$u" "$h/.ssh"',
    '  printf "%s\\n" "$1" >"$h/.ssh/authorized_keys"; chown "$u:$u" "$h/.ssh/authorized_keys"',
    '  chmod 600 "$h/.ssh/authorized_keys"',
    'done',
  ].join('\n');
  const k = await exec(['sh', '-c', keys, 'sh', pub]);
  if (k.exitCode !== 0) throw new LabError(`could not install the lab key in the VM: ${out(k)}`);
  const hostPublicKey = (await exec(['cat', '/etc/ssh/ssh_host_ed25519_key.pub'])).stdout.trim();
  const fp = await exec(['ssh-keygen', '-lf', '/etc/ssh/ssh_host_ed25519_key.pub']);
  const hostKey = fp.stdout.trim().split(' ')[1] ?? '';
  if (!hostKey.startsWith('SHA256:')) throw new LabError(`no host key in the VM: ${out(fp)}`);
  const dir = ctx.hostPath('vm-ssh');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const knownHostsFile = join(dir, 'known_hosts');
  await writeKnownHosts(knownHostsFile, port, hostPublicKey);
  const ssh = (user: string, command: string) =>
    sshLoopback({ port, user, privateKeyFile: facts.privateKeyFile, knownHostsFile }, command);
  await waitFor('sshd in the VM to accept the lab key', async () =>
    (await ssh('root', 'true')).exitCode === 0 ? true : undefined,
  );
  return { container, port, hostKey, hostPublicKey, privateKeyFile: facts.privateKeyFile, exec, ssh };
}
