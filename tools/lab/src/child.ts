import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { waitFor } from './docker.js';
import { freeLoopbackPort } from './host.js';
import { LabError } from './lab-error.js';

// Long-running daemons as direct children (there is no systemd here), each logging to its own file.

export interface Daemon {
  name: string;
  pid: number;
  port: number;
  logFile: string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<string>;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface DaemonSpec {
  file: string;
  args: readonly string[];
  logFile: string;
  env?: Readonly<Record<string, string>>;
  /** Answers once the daemon serves: its readiness URL. */
  readyUrl: string;
}

// Children get a bare environment: redis_exporter, for one, takes its defaults from REDIS_* variables
// and would quietly use a REDIS_PASSWORD the caller happens to have set.
const BARE_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

export const logTail = async (file: string, lines = 15) =>
  (await readFile(file, 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join('\n');

function launch(name: string, port: number, spec: DaemonSpec): Daemon {
  const fd = openSync(spec.logFile, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(spec.file, [...spec.args], {
      stdio: ['ignore', fd, fd],
      env: { ...BARE_ENV, ...spec.env },
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? String(code)));
    child.once('error', (e) => resolve(e.message));
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const stop = async (graceMs = 5000) => {
    if (gone) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(killer);
  };
  return { name, pid: child.pid ?? -1, port, logFile: spec.logFile, exited, stop };
}

async function answers(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

/**
 * Starts a daemon on a free loopback port and waits until its readiness URL answers. The port is
 * picked before the daemon binds it, so another process can take it in between: a daemon that
 * exits before it is ready is tried again on a new port, and fails with its log if it keeps dying.
 */
export async function startDaemon(
  name: string,
  specFor: (port: number) => DaemonSpec,
  opts: { attempts?: number; readyMs?: number } = {},
): Promise<Daemon> {
  const attempts = opts.attempts ?? 3;
  let why = '';
  for (let i = 0; i < attempts; i++) {
    const port = await freeLoopbackPort();
    const spec = specFor(port);
    const d = launch(name, port, spec);
    let exit: string | undefined;
    void d.exited.then((e) => {
      exit = e;
    });
    try {
      await waitFor(
        `${name} to answer ${spec.readyUrl}`,
        async () => {
          if (exit !== undefined) return 'exited';
          return (await answers(spec.readyUrl)) ? 'ready' : undefined;
        },
        opts.readyMs ?? 20_000,
        100,
      );
    } catch (e) {
      await d.stop(1000);
      throw new LabError(`${(e as Error).message}\n${await logTail(spec.logFile)}`, { cause: e });
    }
    if (exit === undefined) return d;
    why = `${name} exited (${exit}) before it was ready:\n${await logTail(spec.logFile)}`;
  }
  throw new LabError(why);
}
