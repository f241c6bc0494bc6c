import { execFile, execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../../src/executors/http-probe.js';
import type { ExecResult } from '../../src/runbooks/index.js';
import {
  type HttpTool,
  healthArgv,
  judgeHealth,
  readHealth,
} from '../../src/runbooks/library/app-health-steps.js';

// The health check's argv run for real by each HTTP tool on this machine (curl, GNU wget, busybox
// wget, the fixed node and python one-liners), against a real server: what the analyzer reads is what
// the tools print. In the lab the same argv runs inside a client container (app-health-lab.test.ts).
let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const bad = req.url?.startsWith('/bad');
    const body = bad ? '{"redis_connection":"error"}' : '{"status":"ok","redis_connection":"ok"}';
    res.writeHead(bad ? 500 : 200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
};

function run(argv: string[]): Promise<ExecResult> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(argv[0] ?? '', argv.slice(1), { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err && typeof err.code === 'number' ? err.code : err ? null : 0;
      resolve({
        exitCode: code,
        stdout,
        stderr,
        durationMs: Date.now() - t0,
        timedOut: false,
        unreachable: false,
        truncated: false,
      });
    });
  });
}

const health = { url: '', status: 200, bodyPattern: '"redis_connection":"ok"' };
// Busybox's wget is the one in the lab's images; run through the multi-call binary here.
const tools: { name: string; tool: HttpTool; prefix: string[]; present: boolean }[] = [
  { name: 'curl', tool: 'curl', prefix: [], present: has('curl') },
  { name: 'GNU wget', tool: 'wget', prefix: [], present: has('wget') },
  { name: 'busybox wget', tool: 'wget', prefix: ['busybox'], present: has('busybox') },
  { name: 'node', tool: 'node', prefix: [], present: true },
  { name: 'python3', tool: 'python3', prefix: [], present: has('python3') },
];

describe.each(tools)('$name', ({ tool, prefix, present }) => {
  const fetch = async (path: string) => {
    const url = `${base}${path}`;
    const r = await run([...prefix, ...healthArgv(tool, url)]);
    return { r, got: readHealth(tool, r), url };
  };

  it.skipIf(!present)('200 with the body: healthy', async () => {
    const { got, url } = await fetch('/ok');
    expect(got?.status).toBe(200);
    expect(judgeHealth('app', { ...health, url }, got ?? { body: '' }).healthy).toBe(true);
  });

  it.skipIf(!present)('500: failing, with the status as evidence', async () => {
    const { got, url } = await fetch('/bad');
    expect(got?.status).toBe(500);
    const v = judgeHealth('app', { ...health, url }, got ?? { body: '' });
    expect(v.healthy).toBe(false);
    expect(v.evidence[0]).toBe(`GET ${url} → HTTP 500`);
  });

  it.skipIf(!present)('nothing listening: failing (no response), not unread', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const url = `http://127.0.0.1:${port}/h`;
    const r = await run([...prefix, ...healthArgv(tool, url)]);
    const got = readHealth(tool, r);
    expect(got?.noResponse, JSON.stringify(r)).toBeTruthy();
    expect(judgeHealth('app', { ...health, url }, got ?? { body: '' }).healthy).toBe(false);
  });
});

// `fromWorker`: the worker's own fetch, read by the same analyzer as curl's output.
describe('the worker itself (fromWorker)', () => {
  const get = (url: string, timeoutMs = 5000) => httpGet(url, { timeoutMs }, 64 * 1024);

  it('200 with the body: healthy; 500: failing with its status', async () => {
    const ok = readHealth('worker', await get(`${base}/ok`));
    expect(judgeHealth('app', { ...health, url: base }, ok ?? { body: '' }).healthy).toBe(true);
    const bad = readHealth('worker', await get(`${base}/bad`));
    expect(bad?.status).toBe(500);
  });

  it('a body past the cap is cut and said so, never an error', async () => {
    const big = createServer((_q, res) => res.writeHead(200).end('x'.repeat(200_000)));
    await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
    const r = await httpGet(
      `http://127.0.0.1:${(big.address() as AddressInfo).port}/`,
      { timeoutMs: 5000 },
      1024,
    );
    await new Promise<void>((r2) => big.close(() => r2()));
    expect(r).toMatchObject({ exitCode: 0, truncated: true });
    expect(r.stdout.endsWith('\n200\n')).toBe(true);
  });

  it('nothing listening: failing (no response), not unread', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await get(`http://127.0.0.1:${port}/h`);
    expect(readHealth('worker', r)?.noResponse).toMatch(/ECONNREFUSED/);
  });

  it('an endpoint that never answers: timed out, so unread', async () => {
    const hang = createServer(() => undefined);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const r = await get(`http://127.0.0.1:${(hang.address() as AddressInfo).port}/h`, 300);
    hang.closeAllConnections();
    await new Promise<void>((r2) => hang.close(() => r2()));
    expect(r.timedOut).toBe(true);
    expect(readHealth('worker', r)).toBeUndefined();
  });
});
