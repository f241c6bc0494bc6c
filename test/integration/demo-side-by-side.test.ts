import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Demo, startDemo } from '@runbook-bot/demo';
import { findLeftovers } from '@runbook-bot/lab';
import { afterAll, describe, expect, it } from 'vitest';
import { labEnv } from '../support/lab-run.js';

// What a second `npm run demo` used to do: tear down the first one's targets (they shared a fixed lab
// prefix), then die on EADDRINUSE with a stack. Now each demo's lab resources are its own, a taken
// port is one line and exit code 3, and a directory a live demo holds is exit code 4.
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lab = labEnv();
const dirs: string[] = [];
const running: Demo[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rbb-demo-2-'));
  dirs.push(d);
  return d;
};

afterAll(async () => {
  for (const d of running) await d.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function demoCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'tools/demo/src/main.ts'), ...args],
      {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', DOCKER_HOST: `unix://${lab.dockerSocket}`, LAB_DIR: lab.labDir },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

const containersOf = async (d: Demo) =>
  (await Promise.all(Object.values(d.labPrefixes).map((p) => findLeftovers(p, { env: lab })))).flatMap(
    (l) => l.containers,
  );

describe('two demos side by side', () => {
  it('a second demo on a taken port or a held directory stops in one line, and the first keeps its targets', async () => {
    const dataA = tmp();
    const a = await startDemo({ repoRoot, dataDir: dataA, lab, log: () => undefined, consolePort: 0 });
    running.push(a);
    const before = await containersOf(a);
    expect(before.length).toBeGreaterThanOrEqual(3);
    const port = new URL(a.consoleUrl).port;

    const taken = await demoCli(['--port', port, '--data', tmp()]);
    expect(taken.code).toBe(3);
    expect(taken.stderr.trim().split('\n')).toEqual([
      `npm run demo: port ${port} on 127.0.0.1 is already in use (another demo, or another program); stop it, or run npm run demo -- --port ${Number(port) + 1}.`,
    ]);

    const held = await demoCli(['--port', '0', '--data', dataA]);
    expect(held.code).toBe(4);
    expect(held.stderr.trim()).toMatch(
      /^npm run demo: another demo \(pid \d+, since .*\) is using .*; stop it/,
    );
    expect(held.stderr.trim().split('\n')).toHaveLength(1);

    expect((await containersOf(a)).sort()).toEqual(before.sort());
    const health = await fetch(`${a.consoleUrl}/console/api/state`);
    expect(health.ok).toBe(true);
  });

  it('a second demo has prefixes of its own, and closing it leaves the first one’s targets running', async () => {
    const a = running[0];
    if (!a) throw new Error('the first demo did not start');
    const b = await startDemo({ repoRoot, dataDir: tmp(), lab, log: () => undefined, consolePort: 0 });
    running.push(b);
    const ours = new Set(Object.values(a.labPrefixes));
    for (const p of Object.values(b.labPrefixes)) expect(ours.has(p)).toBe(false);
    const aContainers = await containersOf(a);
    expect((await containersOf(b)).length).toBeGreaterThanOrEqual(3);

    await b.close();
    running.pop();
    expect(await containersOf(b)).toEqual([]);
    expect((await containersOf(a)).sort()).toEqual(aContainers.sort());
  });
});
