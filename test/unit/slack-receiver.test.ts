import { createHmac } from 'node:crypto';
import { signV0 } from '@runbook-bot/local-slack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_SECRET, EDGE_TOKEN, edgeUnderTest } from '../support/edge-under-test.js';

// What reaches POST /slack/events from outside, correctly signed or not: each of these once crashed
// the process, slipped past Bolt's checks, or got no answer. Each must get its status and start nothing.
let e: Awaited<ReturnType<typeof edgeUnderTest>>;

beforeAll(async () => {
  e = await edgeUnderTest();
  e.state.redisUp = true;
});
afterAll(() => e.close());

const nowSec = () => Math.floor(Date.now() / 1000);

async function post(body: string, o: { ts?: number; type?: string; sign?: boolean } = {}) {
  const ts = o.ts ?? nowSec();
  const res = await fetch(`${e.origin}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': o.type ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      ...(o.sign === false ? {} : { 'x-slack-signature': signV0(EDGE_SECRET, ts, body) }),
    },
    body,
  });
  return res.status;
}

const command = (text: string) =>
  new URLSearchParams({
    command: '/incident',
    text,
    user_id: 'U_ALICE',
    channel_id: 'C_INCIDENTS',
    team_id: 'T_LOCAL',
    response_url: `${e.slack.origin}/commands/T/none`,
  }).toString();

async function stillServing() {
  expect((await fetch(`${e.origin}/healthz`)).status).toBe(200);
  const reply = await e.slack.slashCommand({ userId: 'U_ALICE', channelId: 'C_INCIDENTS', text: 'help' });
  expect(reply.status).toBe(200);
}

describe('the Slack receiver', () => {
  it('answers 400 to signed bodies that are not a Slack payload, and keeps serving', async () => {
    const bodies: [string, string?][] = [
      ['payload=null'],
      ['payload=%5B%5D'],
      ['payload=42'],
      ['payload=%7Bnot%20json'],
      ['null', 'application/json'],
      ['[1,2]', 'application/json'],
      ['<xml/>', 'text/xml'],
    ];
    for (const [body, type] of bodies) expect(await post(body, type ? { type } : {}), body).toBe(400);
    await stillServing();
    expect(e.state.started).toEqual([]);
  });

  it('refuses a field given twice with 400 instead of guessing which one counts', async () => {
    const body = `${command('help')}&text=${encodeURIComponent('run redis-permissions cache')}`;
    expect(await post(body)).toBe(400);
    expect(e.state.started).toEqual([]);
  });

  it('refuses requests signed more than five minutes ahead or behind, and unsigned ones', async () => {
    const body = command('run redis-permissions cache');
    for (const ts of [nowSec() + 6 * 60, nowSec() + 365 * 86_400, nowSec() - 6 * 60, 0])
      expect(await post(body, { ts }), `ts ${ts}`).toBe(401);
    expect(await post(body, { sign: false })).toBe(401);
    expect(await post(body, { ts: Number.NaN })).toBe(401);
    expect(e.state.started).toEqual([]);
  });

  it('opens one incident for a signed run sent four times', async () => {
    const first = await e.slack.slashCommand({
      userId: 'U_ALICE',
      channelId: 'C_INCIDENTS',
      text: 'run redis-permissions cache',
    });
    expect(first.status).toBe(200);
    const replays = await Promise.all([1, 2, 3].map(() => e.slack.resend(first.request)));
    expect(replays.map((r) => r.status)).toEqual([401, 401, 401]);
    await e.slack.waitFor((s) => s.ephemerals.find((x) => /Started \*INC-0001\*/.test(x.text)));
    expect(e.state.started).toEqual(['cache']);
    expect(e.state.logs.some((l) => /replay/.test(JSON.stringify(l.fields)))).toBe(true);
  });

  it('answers 413 to a body far larger than anything Slack sends', async () => {
    expect(await post(`text=${'x'.repeat(2 * 1024 * 1024)}`)).toBe(413);
    await stillServing();
  });
});

const attemptsOf = (x: typeof e) =>
  x.state.logs.filter((l) => l.level === 'warn' && /not reachable yet/.test(l.msg));

describe('start-up with Slack unreachable', () => {
  it('serves health at once, says it waits for Slack, and logs one line per attempt', async () => {
    const down = await edgeUnderTest({ apiUrl: () => 'http://127.0.0.1:1/api/' });
    try {
      down.state.redisUp = true;
      expect((await fetch(`${down.origin}/healthz`)).status).toBe(200);
      const ready = await fetch(`${down.origin}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ ok: false, waiting: { slack: expect.any(String) } });
      for (let i = 0; i < 40 && attemptsOf(down).length < 2; i++)
        await new Promise((r) => setTimeout(r, 100));
      const attempts = attemptsOf(down);
      expect(attempts.map((l) => (l.fields as { attempt: number }).attempt).slice(0, 2)).toEqual([1, 2]);
      for (const l of attempts) expect(JSON.stringify(l.fields)).not.toMatch(/\n\s+at /);
    } finally {
      await down.close();
    }
  });
});

describe('Socket Mode envelopes', () => {
  it('malformed envelopes are acknowledged and refused, and the next command still works', async () => {
    const sock = await edgeUnderTest({ socket: true });
    try {
      sock.state.redisUp = true;
      await sock.slack.waitFor((s) => s.openConnections().length > 0, 10_000);
      const bad: ['slash_commands' | 'interactive', Record<string, unknown>][] = [
        ['slash_commands', { command: '/incident' }],
        ['slash_commands', { command: '/incident', text: 'run redis-permissions cache', user_id: null }],
        ['interactive', { type: 'block_actions', user: null, actions: 42 }],
        ['interactive', { type: 'block_actions', user: { id: 'U_BOB' }, actions: [{}] }],
      ];
      for (const [type, payload] of bad)
        expect((await sock.slack.sendEnvelope(type, payload)).status).toBe(200);
      expect(sock.state.logs.filter((l) => /refused a Socket Mode envelope/.test(l.msg))).toHaveLength(4);
      const ok = await sock.slack.slashCommand({
        userId: 'U_ALICE',
        channelId: 'C_INCIDENTS',
        text: 'run redis-permissions cache',
      });
      expect(ok.status).toBe(200);
      await sock.slack.waitFor((s) => s.ephemerals.find((x) => /Started \*INC-0001\*/.test(x.text)));
      expect(sock.state.started).toEqual(['cache']);
    } finally {
      await sock.close();
    }
  }, 20_000);
});

describe('found by an adversarial try', () => {
  it('the signature covers the bytes sent: other bytes that decode to the same text are refused', async () => {
    const ts = nowSec();
    const sent = Buffer.concat([Buffer.from('text='), Buffer.from([0xff, 0xfe])]);
    const other = Buffer.concat([Buffer.from('text='), Buffer.from([0xc0, 0x80])]);
    const sign = (b: Buffer) =>
      `v0=${createHmac('sha256', EDGE_SECRET).update(`v0:${ts}:`).update(b).digest('hex')}`;
    const postBytes = (body: Buffer, signature: string) =>
      fetch(`${e.origin}/slack/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(ts),
          'x-slack-signature': signature,
        },
        body,
      }).then((r) => r.status);
    // Signed as sent, it passes the signature and fails only as a payload (no command in it).
    expect(await postBytes(sent, sign(sent))).toBe(404);
    expect(await postBytes(other, sign(sent))).toBe(401);
  });

  it('a command carrying an Events API `event`, or a url_verification without a string challenge, is refused', async () => {
    expect(await post(`${command('help')}&event=%7B%7D`)).toBe(404);
    const challenge = (c: unknown) =>
      post(JSON.stringify({ type: 'url_verification', challenge: c }), { type: 'application/json' });
    expect(await challenge({ toString: null })).toBe(400);
    expect(await challenge('abc')).toBe(200);
  });

  it('a secret pasted into a command is not echoed back', async () => {
    for (const text of [EDGE_TOKEN, `run ${EDGE_SECRET} cache`, `run redis-permissions ${EDGE_TOKEN}`]) {
      const reply = await e.slack.slashCommand({ userId: 'U_ALICE', channelId: 'C_INCIDENTS', text });
      expect(reply.status).toBe(200);
      expect(reply.body).not.toContain(EDGE_TOKEN);
      expect(reply.body).not.toContain(EDGE_SECRET);
      expect(reply.body).toContain('[REDACTED]');
    }
  });
});
