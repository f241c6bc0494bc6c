import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalSlack, type LocalSlack } from '@runbook-bot/local-slack';
import { App, LogLevel } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A real Bolt app wired to the local Slack the way the bot will be: `slackApiUrl` for its Web API
// calls, the HTTP receiver for signed slash commands and clicks. If Bolt accepts what the local Slack
// sends and the local Slack accepts what Bolt sends, the two speak the same protocol.

const SECRET = 'bolt-signing-secret';
const TOKEN = 'xoxb-bolt-test';
const CH = 'C_INCIDENTS';

let slack: LocalSlack;
let app: App;

beforeAll(async () => {
  slack = await createLocalSlack({ signingSecret: SECRET, botToken: TOKEN });
  app = new App({
    token: TOKEN,
    signingSecret: SECRET,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: slack.url, retryConfig: { retries: 0 } },
  });
  app.command('/incident', async ({ ack, command, client, respond }) => {
    await ack();
    const root = await client.chat.postMessage({
      channel: command.channel_id,
      text: `INC for ${command.text}`,
    });
    await client.chat.postMessage({
      channel: command.channel_id,
      thread_ts: root.ts as string,
      text: 'Approve repair?',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: 'chown -R 999:999 /data' } },
        {
          type: 'actions',
          block_id: 'approval',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Approve' },
              action_id: 'approve',
              value: 'r1',
            },
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Reject' },
              action_id: 'reject',
              value: 'r1',
            },
          ],
        },
      ],
    });
    await respond({ text: `started for <@${command.user_id}>` });
  });
  app.action('approve', async ({ ack, body, client, respond }) => {
    await ack();
    if (body.type !== 'block_actions' || !body.message || !body.channel) return;
    await client.chat.update({
      channel: body.channel.id,
      ts: body.message.ts,
      text: `Approved by <@${body.user.id}>`,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `Approved by <@${body.user.id}>` } }],
    });
    await respond({ text: 'noted', replace_original: false });
  });
  const server = (await app.start(0)) as Server;
  slack.botUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
});

afterAll(async () => {
  await app.stop();
  await slack.close();
});

describe('local Slack with a real Bolt app', () => {
  it('a slash command reaches Bolt, and its posts and respond() land in the workspace', async () => {
    const reply = await slack.slashCommand({
      userId: 'U_ALICE',
      channelId: CH,
      text: 'run redis-permissions cache',
    });
    expect(reply.status).toBe(200);
    expect(reply.elapsedMs).toBeLessThan(3000);
    const card = await slack.waitFor((s) => s.messages.find((m) => m.text === 'Approve repair?'));
    expect(card.thread_ts).toBe(slack.messages(CH).find((m) => m.text.startsWith('INC for'))?.ts);
    await slack.waitFor((s) =>
      s.ephemerals.find((e) => e.text === 'started for <@U_ALICE>' && e.user === 'U_ALICE'),
    );
    expect(slack.store.calls.map((c) => c.method)).toContain('auth.test');

    const click = await slack.clickButton({
      userId: 'U_BOB',
      channelId: CH,
      messageTs: card.ts,
      actionId: 'approve',
    });
    expect(click.status).toBe(200);
    await slack.waitFor((s) => s.message(CH, card.ts)?.text === 'Approved by <@U_BOB>');
    await slack.waitFor((s) =>
      s.responses.find((r) => r.origin === 'block_actions' && r.outcome === 'ephemeral'),
    );
  });

  it('Bolt refuses a forged signature and a stale timestamp', async () => {
    const before = slack.store.messages.length;
    const forged = await slack.slashCommand({
      userId: 'U_ALICE',
      channelId: CH,
      text: 'list',
      forgeSignature: true,
    });
    const stale = await slack.slashCommand({
      userId: 'U_ALICE',
      channelId: CH,
      text: 'list',
      timestampSec: Math.floor(Date.now() / 1000) - 600,
    });
    expect([forged.status, stale.status]).toEqual([401, 401]);
    expect(slack.store.messages.length).toBe(before);
  });
});
