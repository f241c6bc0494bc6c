import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ConsoleState, createLocalSlack, type LocalSlack } from '@runbook-bot/local-slack';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

// The web console's HTTP API, against a stand-in bot that checks Slack's v0 signature itself (written
// here from Slack's docs), so "the console routes to slashCommand/clickButton" is checked end to end.

const SECRET = 'console-signing-secret';
const TOKEN = 'xoxb-console-test';
const CH = 'C_INCIDENTS';

function verified(headers: IncomingHttpHeaders, body: string): boolean {
  const ts = Number(headers['x-slack-request-timestamp']);
  const sig = headers['x-slack-signature'];
  if (!Number.isInteger(ts) || typeof sig !== 'string' || Math.abs(Date.now() / 1000 - ts) > 300)
    return false;
  const expected = Buffer.from(`v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`);
  const got = Buffer.from(sig);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

interface Received {
  verified: boolean;
  form: URLSearchParams;
}
/** What the stand-in bot answers next: status, and a JSON body or none. */
let answer: { status: number; json?: unknown } = { status: 200 };
const received: Received[] = [];
let bot: Server;
let slack: LocalSlack;
let botUrl: string;

beforeAll(async () => {
  bot = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ verified: verified(req.headers, body), form: new URLSearchParams(body) });
      if (answer.json === undefined) return void res.writeHead(answer.status).end();
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((r) => bot.listen(0, '127.0.0.1', r));
  botUrl = `http://127.0.0.1:${(bot.address() as AddressInfo).port}/slack/events`;
  slack = await createLocalSlack({
    signingSecret: SECRET,
    botToken: TOKEN,
    botUrl,
    consoleExtras: {
      title: 'Demo',
      actions: [
        {
          id: 'break',
          label: 'Break a scenario',
          run: async (c) => `broken for ${c.userId} in ${c.channelId}`,
        },
        {
          id: 'fail',
          label: 'Fail',
          run: async () => {
            throw new Error('lab is not running');
          },
        },
      ],
    },
  });
});

afterAll(async () => {
  await slack.close();
  await new Promise((r) => bot.close(r));
});

beforeEach(() => {
  answer = { status: 200 };
  slack.botUrl = botUrl;
});

async function api(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(`${slack.url}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(args),
  });
  return (await res.json()) as Record<string, unknown>;
}

const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${slack.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const state = async (user?: string): Promise<ConsoleState> =>
  (await (
    await fetch(`${slack.origin}/console/api/state${user ? `?user=${user}` : ''}`)
  ).json()) as ConsoleState;

const approvalBlocks = [
  { type: 'section', text: { type: 'mrkdwn', text: '*Approve?*' } },
  {
    type: 'actions',
    block_id: 'approval',
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Approve' },
        action_id: 'approve',
        value: 'r1',
        style: 'primary',
      },
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Reject' },
        action_id: 'reject',
        value: 'r1',
        style: 'danger',
      },
    ],
  },
];

describe('web console: page and state', () => {
  it('serves the page at / with a CSP and its script apart, and the script parses', async () => {
    const page = await fetch(`${slack.origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    expect(html).toContain('<script src="/console/app.js"></script>');
    expect(html).toContain('id="acting-as"');
    const script = await (await fetch(`${slack.origin}/console/app.js`)).text();
    expect(() => new Function(script)).not.toThrow();
  });

  it('returns channels, users, messages with their threads, files, and only the acting user’s ephemerals', async () => {
    const root = await api('chat.postMessage', { channel: CH, text: 'INC-1 open', blocks: approvalBlocks });
    await api('chat.postMessage', { channel: CH, thread_ts: root.ts, text: 'finding 1' });
    await api('chat.postEphemeral', { channel: CH, user: 'U_ALICE', text: 'only alice' });
    const alice = await state('U_ALICE');
    expect(alice.channels).toContainEqual({ id: CH, name: 'incidents' });
    expect(alice.users).toContainEqual({
      id: 'U_BOT',
      name: 'runbook-bot',
      realName: 'runbook-bot',
      isBot: true,
    });
    expect(alice.users).toContainEqual({ id: 'U_BOB', name: 'bob', realName: 'Bob Approver', isBot: false });
    const m = alice.messages.find((x) => x.ts === root.ts);
    expect(m).toMatchObject({ text: 'INC-1 open', reply_count: 1, replies: [{ text: 'finding 1' }] });
    expect(m?.blocks?.[1]).toMatchObject({ type: 'actions', block_id: 'approval' });
    // Replies are nested, never listed as top-level messages.
    expect(alice.messages.some((x) => x.text === 'finding 1')).toBe(false);
    expect(alice.ephemerals.map((e) => e.text)).toContain('only alice');
    expect((await state('U_BOB')).ephemerals.map((e) => e.text)).not.toContain('only alice');
    expect((await state()).ephemerals).toEqual([]);
    expect(alice.extras).toEqual({
      title: 'Demo',
      actions: [
        { id: 'break', label: 'Break a scenario' },
        { id: 'fail', label: 'Fail' },
      ],
    });
  });

  it('pushes a Server-Sent Event after a postMessage', async () => {
    const abort = new AbortController();
    const res = await fetch(`${slack.origin}/console/events`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += decoder.decode(value);
      }
    };
    await until(/event: hello\ndata: \{"seq":\d+\}\n\n/);
    const before = (await state()).version;
    await api('chat.postMessage', { channel: CH, text: 'live' });
    await until(/event: change\ndata: \{"seq":\d+,"what":"message"\}\n\n/);
    expect((await state()).version).toBeGreaterThan(before);
    abort.abort();
  });
});

describe('web console: commands and clicks reach the bot signed', () => {
  it('sends a composer line as a signed slash command and shows the ack as an ephemeral', async () => {
    answer = { status: 200, json: { response_type: 'ephemeral', text: 'Starting *redis-permissions*…' } };
    const res = await postJson('/console/api/command', {
      userId: 'U_ALICE',
      channelId: CH,
      text: '/incident run redis-permissions cache',
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: true, status: 200, json: answer.json });
    const req = received.at(-1) as Received;
    expect(req.verified).toBe(true);
    expect(Object.fromEntries(req.form)).toMatchObject({
      command: '/incident',
      text: 'run redis-permissions cache',
      user_id: 'U_ALICE',
      user_name: 'alice',
      channel_id: CH,
    });
    const alice = await state('U_ALICE');
    expect(alice.ephemerals.at(-1)).toMatchObject({
      text: 'Starting *redis-permissions*…',
      via: 'command_reply',
    });
    expect(alice.commands.at(-1)).toMatchObject({
      command: '/incident',
      text: 'run redis-permissions cache',
      status: 200,
    });
    expect((await state('U_BOB')).commands.some((c) => c.text === 'run redis-permissions cache')).toBe(false);
  });

  it('posts an in_channel ack to the channel, and shows a failing bot as Slackbot’s error line', async () => {
    answer = { status: 200, json: { response_type: 'in_channel', text: 'everyone sees this' } };
    await postJson('/console/api/command', { userId: 'U_CAROL', channelId: CH, text: '/incident list' });
    expect(slack.messages(CH).at(-1)?.text).toBe('everyone sees this');
    answer = { status: 401 };
    await postJson('/console/api/command', { userId: 'U_CAROL', channelId: CH, text: '/incident list' });
    expect(slack.store.ephemerals.at(-1)).toMatchObject({
      user: 'U_CAROL',
      via: 'slackbot',
      text: expect.stringMatching(/^\/incident failed with the error "dispatch_failed".*HTTP 401/),
    });
    slack.botUrl = 'http://127.0.0.1:1/slack/events';
    const down = await postJson('/console/api/command', {
      userId: 'U_CAROL',
      channelId: CH,
      text: '/incident',
    });
    expect(await down.json()).toMatchObject({ ok: false, error: 'dispatch_failed' });
    const bad = await postJson('/console/api/command', {
      userId: 'U_NOBODY',
      channelId: CH,
      text: '/incident',
    });
    expect(bad.status).toBe(400);
  });

  it('sends a button click as a signed block_actions payload', async () => {
    const card = await api('chat.postMessage', { channel: CH, text: 'card', blocks: approvalBlocks });
    const click = {
      userId: 'U_BOB',
      channelId: CH,
      messageTs: card.ts,
      actionId: 'approve',
      blockId: 'approval',
    };
    const res = await postJson('/console/api/click', { ...click, value: 'r1' });
    expect(await res.json()).toMatchObject({ ok: true, status: 200 });
    const req = received.at(-1) as Received;
    expect(req.verified).toBe(true);
    const payload = JSON.parse(req.form.get('payload') ?? '{}');
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U_BOB' },
      container: { message_ts: card.ts, channel_id: CH },
      actions: [{ action_id: 'approve', block_id: 'approval', value: 'r1' }],
    });
    const missing = await postJson('/console/api/click', { ...click, actionId: 'nope' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ ok: false, error: expect.stringMatching(/no button nope/) });
  });

  it('refuses POSTs that are not JSON, come from another origin, or name another host', async () => {
    const plain = await fetch(`${slack.origin}/console/api/command`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(plain.status).toBe(415);
    const cross = await postJson('/console/api/command', {}, { origin: 'http://evil.test' });
    expect(cross.status).toBe(403);
    const port = new URL(slack.origin).port;
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const r = request(
        {
          host: '127.0.0.1',
          port,
          path: '/console/api/command',
          method: 'POST',
          headers: { host: `rebind.test:${port}`, 'content-type': 'application/json' },
        },
        (res) => resolve(res.statusCode),
      );
      r.on('error', reject);
      r.end('{}');
    });
    expect(status).toBe(403);
  });
});

describe('web console: files and extras', () => {
  it('shows an uploaded Markdown file rendered, raw on request, and 404 for an unknown id', async () => {
    const md =
      '# Report INC-1\n\n| a | b |\n| --- | --- |\n| `x\\|y` | **ok** |\n\n<script>alert(1)</script>\n';
    const up = await api('files.getUploadURLExternal', {
      filename: 'INC-1.md',
      length: Buffer.byteLength(md),
    });
    await fetch(up.upload_url as string, { method: 'POST', body: md });
    await api('files.completeUploadExternal', {
      files: [{ id: up.file_id, title: 'INC-1 report' }],
      channel_id: CH,
    });
    const html = await (await fetch(`${slack.origin}/console/files/${up.file_id}`)).text();
    expect(html).toContain('<h1>Report INC-1</h1>');
    expect(html).toContain('<td><code>x|y</code></td><td><strong>ok</strong></td>');
    expect(html).not.toContain('<script>');
    expect(await (await fetch(`${slack.origin}/console/files/${up.file_id}?raw=1`)).text()).toBe(md);
    expect((await fetch(`${slack.origin}/console/files/F_NONE`)).status).toBe(404);
    const s = await state('U_ALICE');
    expect(s.files.find((f) => f.id === up.file_id)).toMatchObject({
      title: 'INC-1 report',
      completed: true,
    });
    expect(s.messages.at(-1)?.files?.[0]).toMatchObject({ id: up.file_id, name: 'INC-1.md' });
  });

  it('runs an extra action with the acting user and channel, and reports its failure', async () => {
    const ok = await postJson('/console/api/extras/break', { userId: 'U_ALICE', channelId: CH });
    expect(await ok.json()).toEqual({ ok: true, text: `broken for U_ALICE in ${CH}` });
    const failed = await postJson('/console/api/extras/fail', {});
    expect(await failed.json()).toEqual({ ok: false, error: 'lab is not running' });
    expect((await postJson('/console/api/extras/none', {})).status).toBe(404);
  });
});
