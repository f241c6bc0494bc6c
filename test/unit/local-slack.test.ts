import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalSlack, type LocalSlack } from '@runbook-bot/local-slack';
import { verifySlackRequest } from '@slack/bolt';
import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The local Slack is checked against the real @slack/web-api client (what the bot uses to call it) and
// against a reference implementation of Slack's v0 request signing written here from Slack's docs (what
// the bot uses to verify what it sends), so neither side is only checked against itself.

const SECRET = 'local-signing-secret';
const TOKEN = 'xoxb-local-test-token';
const CH = 'C_INCIDENTS';

/** Slack's v0 verification, from the docs: HMAC-SHA256 of `v0:ts:body`, and at most 5 minutes old. */
function referenceVerify(headers: IncomingHttpHeaders, rawBody: string, secret = SECRET): boolean {
  const ts = Number(headers['x-slack-request-timestamp']);
  const sig = headers['x-slack-signature'];
  if (!Number.isInteger(ts) || typeof sig !== 'string') return false;
  if (Math.abs(Date.now() / 1000 - ts) > 300) return false;
  const expected = Buffer.from(
    `v0=${createHmac('sha256', secret).update(`v0:${ts}:${rawBody}`).digest('hex')}`,
  );
  const got = Buffer.from(sig);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

// WebClient logs every platform error at ERROR level; the refusals here are expected, so stay quiet.
const quiet = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};
const clientOptions = () => ({ slackApiUrl: slack.url, retryConfig: { retries: 0 }, logger: quiet });

let slack: LocalSlack;
let client: WebClient;
let receiver: Server;
const received: Received[] = [];

beforeAll(async () => {
  // A stand-in for the bot's HTTP endpoint: records each request and acks like Bolt (200, empty body).
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  slack = await createLocalSlack({
    signingSecret: SECRET,
    botToken: TOKEN,
    botUrl: `http://127.0.0.1:${port}/slack/events`,
  });
  client = new WebClient(TOKEN, clientOptions());
});

afterAll(async () => {
  await slack.close();
  await new Promise((r) => receiver.close(r));
});

/** The Slack error code a call fails with (WebClient throws a platform error carrying Slack's body). */
async function errorOf(call: Promise<unknown>): Promise<{ error?: string; messages?: string[] }> {
  try {
    await call;
  } catch (e) {
    const data = (e as { data?: { error?: string; response_metadata?: { messages?: string[] } } }).data;
    return {
      ...(data?.error !== undefined ? { error: data.error } : {}),
      ...(data?.response_metadata?.messages ? { messages: data.response_metadata.messages } : {}),
    };
  }
  return {};
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (fields: Record<string, unknown> = {}) => ({
  type: 'button',
  text: { type: 'plain_text', text: 'Approve' },
  action_id: 'approve',
  value: 'v',
  ...fields,
});
const actions = (...elements: unknown[]) => ({ type: 'actions', elements });

describe('local Slack: Web API through @slack/web-api', () => {
  it('auth.test answers for the bot token and refuses others', async () => {
    const me = await client.auth.test();
    expect(me).toMatchObject({ ok: true, user_id: 'U_BOT', bot_id: 'B_BOT', team_id: 'T_LOCAL' });
    const wrong = new WebClient('xoxb-wrong', clientOptions());
    expect((await errorOf(wrong.auth.test())).error).toBe('invalid_auth');
    const none = new WebClient(undefined, clientOptions());
    expect((await errorOf(none.auth.test())).error).toBe('not_authed');
  });

  it('posts, threads and updates messages with Slack-shaped, increasing ts', async () => {
    const root = await client.chat.postMessage({
      channel: CH,
      text: 'INC-1 open',
      blocks: [section('*INC-1*')],
    });
    expect(root).toMatchObject({ ok: true, channel: CH, message: { text: 'INC-1 open', bot_id: 'B_BOT' } });
    const rootTs = root.ts as string;
    expect(rootTs).toMatch(/^\d{10}\.\d{6}$/);
    const reply = await client.chat.postMessage({
      channel: '#incidents',
      thread_ts: rootTs,
      text: 'finding',
    });
    expect(Number(reply.ts)).toBeGreaterThan(Number(rootTs));
    const updated = await client.chat.update({ channel: CH, ts: rootTs, text: 'INC-1 resolved' });
    expect(updated).toMatchObject({ ok: true, ts: rootTs, text: 'INC-1 resolved' });

    const stored = slack.message(CH, rootTs);
    expect(stored).toMatchObject({ text: 'INC-1 resolved', reply_count: 1, edited: { user: 'U_BOT' } });
    // Blocks are kept when chat.update leaves them out, and Slack fills in a block_id.
    expect(stored?.blocks?.[0]).toMatchObject({ type: 'section', block_id: expect.any(String) });
    expect(slack.thread(CH, rootTs).map((m) => m.text)).toEqual(['finding']);
    expect(slack.messages(CH).some((m) => m.ts === reply.ts)).toBe(false);
    const replies = await client.conversations.replies({ channel: CH, ts: rootTs });
    expect(replies.messages?.map((m) => m.text)).toEqual(['INC-1 resolved', 'finding']);
  });

  it('posts ephemeral messages to one user', async () => {
    const res = await client.chat.postEphemeral({ channel: CH, user: 'U_ALICE', text: 'only you' });
    expect(res.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(slack.store.ephemerals.at(-1)).toMatchObject({ user: 'U_ALICE', text: 'only you' });
    expect(
      (await errorOf(client.chat.postEphemeral({ channel: CH, user: 'U_NOBODY', text: 'x' }))).error,
    ).toBe('user_not_found');
  });

  it('filesUploadV2 runs the external upload flow end to end into the thread', async () => {
    const root = await client.chat.postMessage({ channel: CH, text: 'INC-2' });
    const report = '# INC-2 report\n\nRoot cause: `/data` owned by 1001.\n';
    const res = await client.filesUploadV2({
      channel_id: CH,
      thread_ts: root.ts as string,
      filename: 'INC-2.md',
      title: 'Incident report INC-2',
      content: report,
      initial_comment: 'Report attached',
    });
    expect(res.ok).toBe(true);
    const calls = slack.store.calls.map((c) => c.method);
    expect(calls).toEqual(
      expect.arrayContaining(['files.getUploadURLExternal', 'files.completeUploadExternal']),
    );
    const shared = slack.thread(CH, root.ts as string).find((m) => m.files);
    expect(shared).toMatchObject({
      text: 'Report attached',
      files: [{ name: 'INC-2.md', title: 'Incident report INC-2' }],
    });
    const fileId = shared?.files?.[0]?.id ?? '';
    expect(slack.fileText(fileId)).toBe(report);
    expect(slack.store.files.get(fileId)).toMatchObject({
      uploadedAs: 'multipart', // what @slack/web-api 8 sends: FormData with one part named `body`
      declaredLength: Buffer.byteLength(report),
      completed: true,
      shares: [{ channel: CH, thread_ts: root.ts }],
    });
  });

  it('accepts a raw-body upload too, and refuses to complete a file whose bytes never arrived', async () => {
    const up = await client.files.getUploadURLExternal({ filename: 'a.txt', length: 5 });
    const raw = await fetch(up.upload_url as string, { method: 'POST', body: 'hello' });
    expect([raw.status, await raw.text()]).toEqual([200, 'OK - 5']);
    await client.files.completeUploadExternal({ files: [{ id: up.file_id as string }], channel_id: CH });
    expect(slack.fileText(up.file_id as string)).toBe('hello');
    const empty = await client.files.getUploadURLExternal({ filename: 'b.txt', length: 5 });
    const never = client.files.completeUploadExternal({ files: [{ id: empty.file_id as string }] });
    expect((await errorOf(never)).error).toBe('file_not_found');
  });

  it('accepts every limit exactly at its maximum', async () => {
    const atLimits = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
      section('s'.repeat(3000)),
      { type: 'section', fields: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'f' })) },
      { type: 'context', elements: Array.from({ length: 10 }, () => ({ type: 'mrkdwn', text: 'c' })) },
      { type: 'divider', block_id: 'b'.repeat(255) },
      actions(button({ text: { type: 'plain_text', text: 't'.repeat(75) }, value: 'v'.repeat(2000) })),
      actions(...Array.from({ length: 25 }, (_, i) => button({ action_id: `${'a'.repeat(250)}${i}` }))),
    ];
    const fill = Array.from({ length: 50 - atLimits.length }, () => ({ type: 'divider' }));
    const res = await client.chat.postMessage({
      channel: CH,
      text: 'x'.repeat(40_000),
      blocks: [...atLimits, ...fill],
    });
    expect(res.ok).toBe(true);
  });

  const tooBig: [string, Record<string, unknown>, string, string?][] = [
    [
      '51 blocks',
      { blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) },
      'invalid_blocks',
      '/blocks]',
    ],
    [
      'section text over 3000',
      { blocks: [section('s'.repeat(3001))] },
      'invalid_blocks',
      '/blocks/0/text/text]',
    ],
    [
      'header over 150',
      { blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] },
      'invalid_blocks',
    ],
    [
      'button text over 75',
      { blocks: [actions(button({ text: { type: 'plain_text', text: 't'.repeat(76) } }))] },
      'invalid_blocks',
    ],
    [
      'button value over 2000',
      { blocks: [actions(button({ value: 'v'.repeat(2001) }))] },
      'invalid_blocks',
      '/value]',
    ],
    ['action_id over 255', { blocks: [actions(button({ action_id: 'a'.repeat(256) }))] }, 'invalid_blocks'],
    ['block_id over 255', { blocks: [{ type: 'divider', block_id: 'b'.repeat(256) }] }, 'invalid_blocks'],
    [
      '11 context elements',
      {
        blocks: [
          { type: 'context', elements: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'c' })) },
        ],
      },
      'invalid_blocks',
    ],
    [
      '11 section fields',
      {
        blocks: [
          { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
        ],
      },
      'invalid_blocks',
    ],
    [
      '26 buttons',
      { blocks: [actions(...Array.from({ length: 26 }, (_, i) => button({ action_id: `a${i}` })))] },
      'invalid_blocks',
    ],
    [
      'duplicate block_id',
      {
        blocks: [
          { type: 'divider', block_id: 'x' },
          { type: 'divider', block_id: 'x' },
        ],
      },
      'invalid_blocks',
    ],
    [
      'mrkdwn header',
      { blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }] },
      'invalid_blocks',
    ],
    ['unknown block type', { blocks: [{ type: 'table' }] }, 'invalid_blocks'],
    ['blocks not JSON', { blocks: 'not json' }, 'invalid_blocks_format'],
    ['text over 40,000', { text: 'x'.repeat(40_001) }, 'msg_too_long'],
    ['no text and no blocks', {}, 'no_text'],
    ['an unknown thread', { text: 'x', thread_ts: '1000000000.000001' }, 'thread_not_found'],
  ];
  it.each(tooBig)('chat.postMessage refuses %s', async (_name, args, error, pointer) => {
    const failure = await errorOf(client.apiCall('chat.postMessage', { channel: CH, ...args }));
    expect(failure.error).toBe(error);
    if (pointer) expect(failure.messages?.join('\n')).toContain(pointer);
  });

  it('refuses an unknown channel, and chat.update of a message that does not exist', async () => {
    expect((await errorOf(client.chat.postMessage({ channel: 'C_NOPE', text: 'x' }))).error).toBe(
      'channel_not_found',
    );
    expect(
      (await errorOf(client.chat.update({ channel: CH, ts: '1000000000.000001', text: 'x' }))).error,
    ).toBe('message_not_found');
    const ok = await client.chat.postMessage({ channel: CH, text: 'x' });
    const tooLong = client.chat.update({
      channel: CH,
      ts: ok.ts as string,
      blocks: [section('s'.repeat(3001))],
    });
    expect((await errorOf(tooLong)).error).toBe('invalid_blocks');
  });

  it('accepts JSON bodies as well as forms', async () => {
    const res = await fetch(`${slack.url}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: CH, blocks: [section('json')] }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: CH });
  });
});

describe('local Slack: requests it sends to the bot', () => {
  const lastForm = () => new URLSearchParams(received.at(-1)?.body ?? '');

  it('sends a slash command as a signed form, exactly as Slack does', async () => {
    const reply = await slack.slashCommand({
      userId: 'U_ALICE',
      channelId: CH,
      text: 'run redis-permissions cache',
    });
    expect(reply.status).toBe(200);
    const req = received.at(-1) as Received;
    expect(req).toMatchObject({ method: 'POST', url: '/slack/events' });
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers['x-slack-signature']).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(referenceVerify(req.headers, req.body)).toBe(true);
    // Bolt's own verifier (what the bot runs) agrees.
    const ts = Number(req.headers['x-slack-request-timestamp']);
    const signature = req.headers['x-slack-signature'] as string;
    expect(() =>
      verifySlackRequest({
        signingSecret: SECRET,
        body: req.body,
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': ts },
      }),
    ).not.toThrow();
    expect(Object.fromEntries(lastForm())).toMatchObject({
      token: 'local-verification-token',
      team_id: 'T_LOCAL',
      team_domain: 'local',
      channel_id: CH,
      channel_name: 'incidents',
      user_id: 'U_ALICE',
      user_name: 'alice',
      command: '/incident',
      text: 'run redis-permissions cache',
      api_app_id: 'A_RUNBOOK',
      response_url: expect.stringMatching(new RegExp(`^${slack.origin}/commands/T_LOCAL/`)),
      trigger_id: expect.any(String),
    });
    const first = lastForm().get('response_url');
    await slack.slashCommand({ userId: 'U_ALICE', channelId: CH, text: 'list' });
    expect(lastForm().get('response_url')).not.toBe(first);
  });

  it('sends a button click as a signed block_actions payload carrying the current message', async () => {
    const card = await client.chat.postMessage({
      channel: CH,
      text: 'Approve repair?',
      blocks: [
        section('chown -R 999:999 /data'),
        { ...actions(button({ value: 'run-1:approve' })), block_id: 'approval' },
      ],
    });
    const reply = await slack.clickButton({
      userId: 'U_BOB',
      channelId: CH,
      messageTs: card.ts as string,
      actionId: 'approve',
    });
    expect(reply.status).toBe(200);
    const req = received.at(-1) as Received;
    expect(referenceVerify(req.headers, req.body)).toBe(true);
    expect([...lastForm().keys()]).toEqual(['payload']);
    const payload = JSON.parse(lastForm().get('payload') ?? '{}');
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U_BOB', username: 'bob', name: 'bob', team_id: 'T_LOCAL' },
      api_app_id: 'A_RUNBOOK',
      token: 'local-verification-token',
      container: { type: 'message', message_ts: card.ts, channel_id: CH, is_ephemeral: false },
      team: { id: 'T_LOCAL' },
      channel: { id: CH, name: 'incidents' },
      message: { ts: card.ts, text: 'Approve repair?', blocks: slack.message(CH, card.ts as string)?.blocks },
      actions: [
        {
          action_id: 'approve',
          block_id: 'approval',
          text: { type: 'plain_text', text: 'Approve' },
          value: 'run-1:approve',
          type: 'button',
        },
      ],
    });
    expect(payload.actions[0].action_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(payload.response_url).toMatch(new RegExp(`^${slack.origin}/actions/T_LOCAL/`));
    await expect(
      slack.clickButton({ userId: 'U_BOB', channelId: CH, messageTs: card.ts as string, actionId: 'nope' }),
    ).rejects.toThrow(/no button/);
  });

  it('can forge a signature, send a stale timestamp, omit the signature, or replay a request', async () => {
    const forged = await slack.slashCommand({
      userId: 'U_ALICE',
      channelId: CH,
      text: 'list',
      forgeSignature: true,
    });
    expect(referenceVerify(forged.request.headers, forged.request.body)).toBe(false);
    const stale = await slack.slashCommand({
      userId: 'U_ALICE',
      channelId: CH,
      text: 'list',
      timestampSec: Math.floor(Date.now() / 1000) - 600,
    });
    expect(referenceVerify(stale.request.headers, stale.request.body)).toBe(false);
    // The signature itself is right: only the age makes it a refusal.
    const ts = Number(stale.request.headers['x-slack-request-timestamp']);
    const expected = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${stale.request.body}`).digest('hex')}`;
    expect(stale.request.headers['x-slack-signature']).toBe(expected);
    const unsigned = await slack.slashCommand({
      userId: 'U_ALICE',
      channelId: CH,
      text: 'list',
      omitSignature: true,
    });
    expect(received.at(-1)?.headers['x-slack-signature']).toBeUndefined();
    const again = await slack.resend(unsigned.request);
    expect(received.at(-1)?.body).toBe(again.request.body);
  });
});

describe('local Slack: response_url and waiting', () => {
  it('records response_url posts and applies them as Slack would', async () => {
    await slack.slashCommand({ userId: 'U_CAROL', channelId: CH, text: 'help' });
    const commandUrl = new URLSearchParams(received.at(-1)?.body).get('response_url') as string;
    const post = (url: string, body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post(commandUrl, { text: 'usage: /incident run …' })).status).toBe(200);
    expect(slack.store.ephemerals.at(-1)).toMatchObject({ user: 'U_CAROL', via: 'response_url' });
    await post(commandUrl, { response_type: 'in_channel', text: 'visible to all' });
    expect(slack.messages(CH).at(-1)?.text).toBe('visible to all');
    expect((await post(commandUrl, { blocks: [section('s'.repeat(3001))] })).status).toBe(400);

    const card = await client.chat.postMessage({ channel: CH, text: 'card', blocks: [actions(button())] });
    await slack.clickButton({
      userId: 'U_BOB',
      channelId: CH,
      messageTs: card.ts as string,
      actionId: 'approve',
    });
    const actionUrl = JSON.parse(
      new URLSearchParams(received.at(-1)?.body).get('payload') ?? '{}',
    ).response_url;
    await post(actionUrl, {
      replace_original: true,
      text: 'Approved by <@U_BOB>',
      blocks: [section('Approved')],
    });
    expect(slack.message(CH, card.ts as string)).toMatchObject({ text: 'Approved by <@U_BOB>' });
    expect(slack.store.responses.map((r) => r.outcome)).toEqual(
      expect.arrayContaining(['ephemeral', 'in_channel', 'rejected', 'replaced']),
    );
    // Slack allows five posts per response_url.
    for (let i = 0; i < 4; i++) await post(actionUrl, { text: `more ${i}` });
    expect((await post(actionUrl, { text: 'sixth' })).status).toBe(404);
  });

  it('waitFor resolves on the change it waits for and explains a timeout', async () => {
    const waiting = slack.waitFor((s) => s.channelMessages(CH).find((m) => m.text === 'later'), 2000);
    setTimeout(() => void client.chat.postMessage({ channel: CH, text: 'later' }), 20);
    expect((await waiting).text).toBe('later');
    await expect(
      slack.waitFor((s) => s.channelMessages(CH).find((m) => m.text === 'never'), 50),
    ).rejects.toThrow(/not met within 50 ms[\s\S]*later/);
  });
});
