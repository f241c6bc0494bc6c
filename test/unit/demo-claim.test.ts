import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labEnvFrom } from '@runbook-bot/lab';
import { afterEach, describe, expect, it } from 'vitest';
import {
  claimDataDir,
  DEMO_EXIT,
  DemoError,
  newPrefixBase,
  portTakenMessage,
  prefixFor,
} from '../../tools/demo/src/demo-claim.js';
import { startDemo } from '../../tools/demo/src/demo-stack.js';

// Two demos, or a demo and the tests, never touch each other's lab resources; a taken port is one
// line and an exit code, before anything is built. No services: the lab socket here does not exist,
// so a demo that reached for the lab would fail otherwise than these tests expect.

const dirs: string[] = [];
const servers: Server[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rbb-demo-claim-'));
  dirs.push(d);
  return d;
};
afterEach(async () => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function takenPort(): Promise<number> {
  const s = createServer();
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  return a.port;
}

describe('a lab prefix of its own', () => {
  it('is random per demo and has the shape the lab accepts', () => {
    const bases = new Set(Array.from({ length: 50 }, () => newPrefixBase()));
    expect(bases.size).toBeGreaterThan(45);
    for (const b of bases) {
      expect(b).toMatch(/^[0-9a-f]{5}$/);
      expect(prefixFor(b, 3)).toMatch(/^rbb-[0-9a-f]{6}-$/);
    }
    expect(newPrefixBase(() => Buffer.from([0xde, 0xc0, 0x01]))).toBe('dec00');
  });
});

describe('the data directory is one demo’s at a time', () => {
  const now = new Date('2026-12-02T19:00:00Z');

  it('a second demo on a directory a live demo holds is refused in one line, and the first keeps it', () => {
    const dir = tmp();
    const first = claimDataDir(dir, { pid: 1111, prefixBase: 'aaaaa', now }, () => true);
    let refused: unknown;
    try {
      claimDataDir(dir, { pid: 2222, prefixBase: 'bbbbb', now }, () => true);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(DemoError);
    expect((refused as DemoError).exitCode).toBe(DEMO_EXIT.dataDirInUse);
    expect((refused as DemoError).message).toMatch(
      /another demo \(pid 1111, since 2026-12-02T19:00:00\.000Z\) is using/,
    );
    expect((refused as DemoError).message).not.toContain('\n');
    expect(JSON.parse(readFileSync(join(dir, 'demo-claim.json'), 'utf8'))).toMatchObject({ pid: 1111 });
    first.release();
    expect(existsSync(join(dir, 'demo-claim.json'))).toBe(false);
  });

  it('a dead demo’s claim is taken over, and its prefix named so its leftovers, and only they, are removed', () => {
    const dir = tmp();
    const first = claimDataDir(dir, { pid: 1111, prefixBase: 'aaaaa', now }, () => true);
    const second = claimDataDir(dir, { pid: 2222, prefixBase: 'bbbbb', now }, () => false);
    expect(second.stale).toBe('aaaaa');
    // The first, had it come back, releasing after the takeover leaves the second's claim alone.
    first.release();
    expect(JSON.parse(readFileSync(join(dir, 'demo-claim.json'), 'utf8'))).toMatchObject({ pid: 2222 });
    second.release();
    expect(existsSync(join(dir, 'demo-claim.json'))).toBe(false);
    expect(claimDataDir(tmp(), { pid: 3, prefixBase: 'ccccc', now }).stale).toBeUndefined();
  });

  it('a real process: alive refuses, dead is taken over', async () => {
    const dir = tmp();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    const pid = child.pid ?? 0;
    claimDataDir(dir, { pid, prefixBase: 'aaaaa', now });
    expect(() => claimDataDir(dir, { pid: process.pid, prefixBase: 'bbbbb', now })).toThrow(DemoError);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(claimDataDir(dir, { pid: process.pid, prefixBase: 'bbbbb', now }).stale).toBe('aaaaa');
  });
});

describe('a taken console port', () => {
  it('is one line that names the port and what to do', async () => {
    const port = await takenPort();
    const e = await new Promise<unknown>((resolve) => {
      const s = createServer();
      s.once('error', resolve);
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(undefined)));
    });
    const line = portTakenMessage(e, port);
    expect(line).toBe(
      `npm run demo: port ${port} on 127.0.0.1 is already in use (another demo, or another program); stop it, or run npm run demo -- --port ${port + 1}.`,
    );
    expect(portTakenMessage(new Error('ENOENT'), port)).toBeUndefined();
  });

  it('fails the demo with its exit code before the lab or the directory’s Redis is touched', async () => {
    const port = await takenPort();
    const dataDir = tmp();
    const lab = labEnvFrom({
      LAB_DIR: join(dataDir, 'no-lab'),
      DOCKER_HOST: `unix://${join(dataDir, 'no.sock')}`,
    });
    const failed = await startDemo({
      repoRoot: process.cwd(),
      dataDir,
      lab,
      log: () => undefined,
      consolePort: port,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(DemoError);
    expect((failed as DemoError).exitCode).toBe(DEMO_EXIT.portTaken);
    expect((failed as DemoError).message).toContain(`port ${port} on 127.0.0.1 is already in use`);
    // Nothing was started, and the claim was given back.
    expect(existsSync(join(dataDir, 'redis'))).toBe(false);
    expect(existsSync(join(dataDir, 'demo-claim.json'))).toBe(false);
  });
});
