import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalSlack, type LocalSlack, mentionsIn } from '@runbook-bot/local-slack';
import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// User groups, the fault switch, Slack's text limits and what rendered text would ping, checked
// through the real @slack/web-api client the bot uses.

const TOKEN = 'xoxb-texts-test';
const CH = 'C_INCIDENTS';
const quiet = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

let slack: LocalSlack;
let client: WebClient;
let bot: Server;
/** What the stand-in bot answers to a slash command. */
let answer = '';
/** The response_url of the last slash command the stand-in bot received. */
let responseUrl = '';

beforeAll(async () => {
  bot = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      responseUrl = new URLSearchParams(Buffer.concat(chunks).toString()).get('response_url') ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answer);
    });
  });
  await new Promise<void>((r) => bot.listen(0, '127.0.0.1', r));
  slack = await createLocalSlack({
    signingSecret: 'texts-signing-secret',
    botToken: TOKEN,
    botUrl: `http://127.0.0.1:${(bot.address() as AddressInfo).port}/slack/events`,
    userGroups: [{ id: 'S_ONCALL', handle: 'oncall', users: ['U_ALICE', 'U_BOB'] }],
  });
  client = new WebClient(TOKEN, { slackApiUrl: slack.url, retryConfig: { retries: 0 }, logger: quiet });
});

afterAll(async () => {
  await slack.close();
  await new Promise((r) => bot.close(r));
});

async function errorOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (e) {
    return (e as { data?: { error?: string } }).data?.error;
  }
  return undefined;
}

describe('user groups and the fault switch', () => {
  it('lists groups and their members; an unknown group is no_such_subteam', async () => {
    slack.addUserGroup({ id: 'S_APPROVERS', handle: 'approvers', name: 'Approvers', users: ['U_BOB'] });
    const members = await client.usergroups.users.list({ usergroup: 'S_ONCALL' });
    expect(members).toMatchObject({ ok: true, users: ['U_ALICE', 'U_BOB'] });
    expect(await errorOf(client.usergroups.users.list({ usergroup: 'S_NOPE' }))).toBe('no_such_subteam');
    const list = await client.usergroups.list({ include_users: true });
    expect(list.usergroups?.map((g) => [g.id, g.handle, g.users])).toEqual([
      ['S_ONCALL', 'oncall', ['U_ALICE', 'U_BOB']],
      ['S_APPROVERS', 'approvers', ['U_BOB']],
    ]);
    expect((await client.usergroups.list({})).usergroups?.[0]).not.toHaveProperty('users');
  });

  it('failMethod makes one method fail until clearFailures, and the call log says so', async () => {
    slack.store.failMethod('usergroups.users.list', 'ratelimited');
    expect(await errorOf(client.usergroups.users.list({ usergroup: 'S_ONCALL' }))).toBe('ratelimited');
    expect((await client.auth.test()).ok).toBe(true);
    expect(slack.store.calls.at(-2)).toMatchObject({
      method: 'usergroups.users.list',
      ok: false,
      error: 'ratelimited',
    });
    slack.store.clearFailures();
    expect((await client.usergroups.users.list({ usergroup: 'S_ONCALL' })).ok).toBe(true);
  });
});

describe("Slack's 40,000-character text limit", () => {
  const long = 'x'.repeat(40_001);

  it('refuses longer text in chat.postMessage, chat.update and chat.postEphemeral', async () => {
    expect(await errorOf(client.chat.postMessage({ channel: CH, text: long }))).toBe('msg_too_long');
    const ok = await client.chat.postMessage({ channel: CH, text: 'x'.repeat(40_000) });
    expect(await errorOf(client.chat.update({ channel: CH, ts: ok.ts as string, text: long }))).toBe(
      'msg_too_long',
    );
    expect(await errorOf(client.chat.postEphemeral({ channel: CH, user: 'U_ALICE', text: long }))).toBe(
      'msg_too_long',
    );
  });

  it('refuses a longer response_url post and a longer file initial_comment', async () => {
    expect((await slack.slashCommand({ userId: 'U_ALICE', channelId: CH, text: 'list' })).status).toBe(200);
    const res = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: long }),
    });
    expect([res.status, await res.text()]).toEqual([400, 'msg_too_long']);

    const up = await client.files.getUploadURLExternal({ filename: 'r.md', length: 2 });
    await fetch(up.upload_url as string, { method: 'POST', body: 'hi' });
    const complete = client.files.completeUploadExternal({
      files: [{ id: up.file_id as string }],
      channel_id: CH,
      initial_comment: long,
    });
    expect(await errorOf(complete)).toBe('msg_too_long');
  });
});

describe('mentionsIn', () => {
  it('finds broadcasts, group and user mentions, channel links and links, with labels', () => {
    const text =
      'hey <!channel> <!here|here> <!everyone> <!subteam^S0123ABC|@oncall> <@U024BE7LH> <@W99|bob> ' +
      '<#C123|incidents> <https://example.com|click> <mailto:a@b.c> <!date^1392734382^{date}|Feb 18>';
    expect(mentionsIn(text).map((m) => [m.kind, m.label])).toEqual([
      ['broadcast', undefined],
      ['broadcast', 'here'],
      ['broadcast', undefined],
      ['usergroup', '@oncall'],
      ['user', undefined],
      ['user', 'bob'],
      ['channel', 'incidents'],
      ['link', 'click'],
      ['link', undefined],
    ]);
    expect(mentionsIn('<https://evil.example|docs>')).toEqual([
      { kind: 'link', url: 'https://evil.example', label: 'docs', raw: '<https://evil.example|docs>' },
    ]);
  });

  it('finds nothing in escaped or plain text', () => {
    for (const text of [
      '&lt;!channel&gt; &lt;@U024BE7LH&gt; &lt;https://x.example|y&gt;',
      '@channel @here plain words',
      '<notalink> <ftp://x> < !channel> <@lowercase>',
    ])
      expect(mentionsIn(text), text).toEqual([]);
  });
});

describe('renderedTexts', () => {
  it('lists every text the bot had rendered, with where it came from', async () => {
    const m = await client.chat.postMessage({
      channel: CH,
      text: 'host <!here>',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'section <@U_BOB>' } },
        { type: 'context', elements: [{ type: 'plain_text', text: 'plain <!channel>' }] },
        {
          type: 'rich_text',
          elements: [{ type: 'rich_text_section', elements: [{ type: 'broadcast', range: 'everyone' }] }],
        },
      ],
    });
    await client.chat.update({ channel: CH, ts: m.ts as string, text: 'edited' });
    await client.chat.postEphemeral({ channel: CH, user: 'U_ALICE', text: 'eph <!subteam^S_ONCALL>' });
    answer = JSON.stringify({ response_type: 'ephemeral', text: 'ack <https://x.example|y>' });
    try {
      await slack.slashCommand({ userId: 'U_ALICE', channelId: CH, text: 'list' });
    } finally {
      answer = '';
    }
    const texts = slack.store.renderedTexts().slice(-7);
    expect(texts.map((t) => [t.source, t.path, t.format, t.text])).toEqual([
      ['chat.postMessage', 'text', 'mrkdwn', 'host <!here>'],
      ['chat.postMessage', 'blocks[0].text', 'mrkdwn', 'section <@U_BOB>'],
      ['chat.postMessage', 'blocks[1].elements[0]', 'plain_text', 'plain <!channel>'],
      ['chat.postMessage', 'blocks[2].elements[0].elements[0]', 'mrkdwn', '<!everyone>'],
      ['chat.update', 'text', 'mrkdwn', 'edited'],
      ['chat.postEphemeral', 'text', 'mrkdwn', 'eph <!subteam^S_ONCALL>'],
      ['command_reply', 'text', 'mrkdwn', 'ack <https://x.example|y>'],
    ]);
    const pings = slack.store
      .renderedMentions()
      .slice(-5)
      .map((p) => [p.source, p.mention.kind]);
    // plain_text renders no mention, so `plain <!channel>` is not among them.
    expect(pings).toEqual([
      ['chat.postMessage', 'broadcast'],
      ['chat.postMessage', 'user'],
      ['chat.postMessage', 'broadcast'],
      ['chat.postEphemeral', 'usergroup'],
      ['command_reply', 'link'],
    ]);
  });
});
