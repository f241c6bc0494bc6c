import { execFile } from 'node:child_process';
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import type { CommandOutput } from './docker.js';

/** Runs argv on this machine (no shell); never throws for a non-zero exit. */
export function runHost(
  argv: readonly string[],
  opts: { env?: Readonly<Record<string, string>>; timeoutMs?: number } = {},
): Promise<CommandOutput> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.resolve({ stdout: '', stderr: 'empty argv', exitCode: null });
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        timeout: opts.timeoutMs ?? 30_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
        ...(opts.env ? { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env } } : {}),
      },
      (err, stdout, stderr) => {
        const code = err && typeof err.code === 'number' ? err.code : err ? null : 0;
        resolve({
          stdout: String(stdout),
          stderr: String(stderr || (err && code === null ? err.message : '')),
          exitCode: code,
        });
      },
    );
  });
}

/** A loopback port nobody listens on right now. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface TcpProbe {
  /** The TCP handshake completed. */
  connected: boolean;
  /** Bytes the far end sent within the window. */
  bytes: number;
  /** Why the connect failed (e.g. `connect ECONNREFUSED 127.0.0.1:40123`). */
  error?: string;
}

/** Connects to a loopback port and counts what arrives within quietMs, sending nothing. */
export function tcpProbe(port: number, quietMs: number): Promise<TcpProbe> {
  return new Promise((resolve) => {
    let bytes = 0;
    let connected = false;
    const sock = connect({ host: '127.0.0.1', port });
    const done = (error?: string) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ connected, bytes, ...(error !== undefined ? { error } : {}) });
    };
    // The window starts at connect time; a connect that never completes counts as not connected.
    let timer = setTimeout(() => done('connect timed out'), quietMs + 5000);
    sock.on('connect', () => {
      connected = true;
      clearTimeout(timer);
      timer = setTimeout(() => done(), quietMs);
    });
    sock.on('data', (b: Buffer) => {
      bytes += b.length;
    });
    sock.on('error', (e) => done(e.message));
    sock.on('close', () => done());
  });
}

/**
 * Host processes of a scenario: their argv or working dir points into its files. Redis rewrites
 * its own process title, so the working dir (its --dir) is what finds the server itself.
 */
export async function hostProcesses(labDir: string, prefix: string): Promise<number[]> {
  const marker = join(labDir, prefix);
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
      if (cmdline.includes(marker) || cwd.startsWith(marker)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

export async function killHostProcesses(labDir: string, prefix: string): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = await hostProcesses(labDir, prefix);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function hostPaths(labDir: string, prefix: string): Promise<string[]> {
  const entries = await readdir(labDir).catch(() => [] as string[]);
  return entries.filter((e) => e.startsWith(prefix)).map((e) => join(labDir, e));
}

export async function removeHostPaths(labDir: string, prefix: string): Promise<void> {
  for (const p of await hostPaths(labDir, prefix)) await rm(p, { recursive: true, force: true });
}
