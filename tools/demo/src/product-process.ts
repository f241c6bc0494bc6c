import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

// The demo starts the product the way it is deployed, through its CLI in a process of its own: the
// demo is a tool beside the product, not a second composition root inside it.

export interface ProductProcess {
  port: number;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (address === null || typeof address === 'string') throw new Error('no free port on loopback');
  return address.port;
}

async function waitHealthy(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`runbook-bot exited with ${child.exitCode} at start:\n${output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > until) throw new Error(`runbook-bot was not ready within 60 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs `runbook-bot serve --role all` from the repository's source (with tsx, so no stale build is
 * ever demonstrated) and waits until `/readyz` says it can serve.
 */
export async function startProduct(o: {
  repoRoot: string;
  env: Record<string, string>;
  /** Where the product's log lines go (they are JSON, one per line). */
  onLog(line: string): void;
}): Promise<ProductProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(o.repoRoot, 'src/cli.ts'), 'serve', '--role', 'all'],
    {
      cwd: o.repoRoot,
      // Only what the product is configured with: the demo's own environment stays out.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...o.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let recent = '';
  const take = (chunk: Buffer) => {
    const text = chunk.toString();
    recent = (recent + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim()) o.onLog(line);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const late = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(late);
  };
  try {
    await waitHealthy(port, child, () => recent);
  } catch (e) {
    await close();
    throw e;
  }
  return { port, close };
}
