import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LAB_SCRIPTS } from './scripts.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

const apiAnswers = (socket: string) =>
  existsSync(socket) &&
  spawnSync('podman', ['--url', `unix://${socket}`, 'version'], { stdio: 'ignore', timeout: 10_000 })
    .status === 0;

export type Prerequisites = { ok: true; startedLab: boolean } | { ok: false; message: string };

/**
 * Makes sure the lab can run: as root, installs what is missing and starts the lab's services;
 * otherwise says exactly what to run. `startedLab` tells whether the demo must stop them again.
 */
export function ensureLab(dockerSocket: string, isRoot: boolean, rerun: string): Prerequisites {
  const { install, start } = LAB_SCRIPTS;
  // The lab's container engine is rootful, and its scenarios chown data dirs and run sshd: only
  // root can use it, whether or not it is already running.
  if (!isRoot)
    return {
      ok: false,
      message: `The lab (real containers through Podman, sshd, broken data dirs) needs root. Run:\n\n  sudo ${rerun}\n\nOn the first run it installs what is missing (${install}, then ${start}).\n`,
    };
  // The monitoring stack's binaries too: a machine set up before it existed must install it.
  const missing = [
    'podman',
    'runc',
    'redis-server',
    'redis-cli',
    'sshd',
    'busybox',
    'prometheus',
    'prometheus-alertmanager',
    'prometheus-redis-exporter',
  ].filter((c) => !has(c) && !existsSync(`/usr/sbin/${c}`));
  const running = apiAnswers(dockerSocket);
  if (missing.length === 0 && running) return { ok: true, startedLab: false };
  const step = (script: string) => spawnSync('bash', [script], { stdio: 'inherit' }).status === 0;
  if (missing.length > 0 && !step(install)) return { ok: false, message: `${install} failed (see above)` };
  if (!step(start)) return { ok: false, message: `${start} failed (see above)` };
  return { ok: true, startedLab: !running };
}
