import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, OwnRedis } from '@runbook-bot/demo';
import { createLocalSlack, type LocalSlack, signV0 } from '@runbook-bot/local-slack';
import { afterEach, describe, expect, it } from 'vitest';

// The built CLI started while what it depends on is down: its port opens at once, readiness says what
// it waits for, a signed but malformed request cannot stop it, and it comes up when the dependency does.
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const SECRET = 'start-up-signing-secret';
const TOKEN = 'xoxb-start-up';

let child: ChildProcess | undefined;
let slack: LocalSlack | undefined;
let redis: OwnRedis | undefined;
const dir = mkdtempSync(join(tmpdir(), 'rbb-start-up-'));

afterEach(async () => {
  child?.kill('SIGKILL');
  await slack?.close();
  await redis?.stop();
  child = slack = redis = undefined;
});

async function startBot(env: Record<string, string>) {
  const targets = join(dir, 'targets.yaml');
  writeFileSync(targets, 'targets:\n  cache:\n    redis:\n      docker: { container: rbb-never-started }\n');
  const port = await freePort();
  const out = { text: '' };
  child = spawn(process.execPath, [CLI, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      PORT: String(port),
      TARGETS_FILE: targets,
      REPORTS_DIR: join(dir, 'reports'),
      QUEUE_PREFIX: 'rbb-start-up',
      ...env,
    },
  });
  const keep = (b: Buffer) => {
    out.text += b.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { origin: `http://127.0.0.1:${port}`, out };
}

async function eventually<T>(probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`nothing within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const readiness = async (origin: string) => {
  const r = await fetch(`${origin}/readyz`);
  return { status: r.status, body: (await r.json()) as { waiting?: Record<string, string> } };
};

async function signedNullPayload(origin: string) {
  const ts = Math.floor(Date.now() / 1000);
  const body = 'payload=null';
  const r = await fetch(`${origin}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signV0(SECRET, ts, body),
    },
    body,
  });
  return r.status;
}

describe('serve started while its dependencies are down', () => {
  it('with its Redis down, answers health at once, says why it is not ready, and is ready once Redis is', async () => {
    slack = await createLocalSlack({ signingSecret: SECRET, botToken: TOKEN });
    const redisPort = await freePort();
    const bot = await startBot({ SLACK_API_URL: slack.url, REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    const health = await eventually(async () => (await fetch(`${bot.origin}/healthz`)).status, 10_000);
    expect(health).toBe(200);
    const early = await readiness(bot.origin);
    expect(early.status).toBe(503);
    expect(early.body.waiting?.redis).toMatch(/down/);
    expect(await signedNullPayload(bot.origin)).toBe(400);
    await new Promise((r) => setTimeout(r, 2500));
    expect(child?.exitCode).toBeNull();

    redis = await OwnRedis.start(join(dir, 'redis'), redisPort);
    const ready = await eventually(async () => {
      const r = await readiness(bot.origin);
      return r.status === 200 ? r : undefined;
    }, 20_000);
    expect(ready.body).toEqual({ ok: true });
    expect(bot.out.text).toMatch(/not reachable yet/);
    // One line per attempt, never a stack trace.
    expect(bot.out.text).not.toMatch(/\n\s+at \S+ \(/);
  });

  it('with Slack unreachable, keeps serving and says it waits for Slack', async () => {
    redis = await OwnRedis.start(join(dir, 'redis2'));
    const bot = await startBot({ SLACK_API_URL: 'http://127.0.0.1:1/api/', REDIS_URL: redis.url });
    await eventually(
      async () => ((await fetch(`${bot.origin}/healthz`)).status === 200 ? true : undefined),
      10_000,
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect(child?.exitCode).toBeNull();
    const r = await readiness(bot.origin);
    expect(r.status).toBe(503);
    expect(Object.keys(r.body.waiting ?? {})).toEqual(['slack']);
    expect(bot.out.text).not.toMatch(/\n\s+at \S+ \(/);
  });
});

describe('serve with its port taken', () => {
  it('exits 1 with one line naming the port, instead of running workers with no port', async () => {
    const { createServer } = await import('node:net');
    const holder = createServer();
    const port = await new Promise<number>((r) =>
      holder.listen(0, () => r((holder.address() as { port: number }).port)),
    );
    redis = await OwnRedis.start(join(dir, 'redis3'));
    try {
      const bot = await startBot({
        SLACK_API_URL: 'http://127.0.0.1:1/api/',
        REDIS_URL: redis.url,
        PORT: String(port),
      });
      const code = await new Promise<number | null>((r) => child?.once('exit', (c) => r(c)));
      expect(code).toBe(1);
      expect(bot.out.text).toMatch(/could not start: listen EADDRINUSE/);
      expect(bot.out.text).not.toMatch(/uncaught exception/);
    } finally {
      holder.close();
    }
  });
});

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
