import { createLocalSlack, type LocalSlack } from '@runbook-bot/local-slack';
import { App, LogLevel } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

// A real Bolt app in Socket Mode against the local Slack: it opens its connection through
// apps.connections.open with the app-level token, takes envelopes over the WebSocket and acks them,
// and reconnects when the connection is rotated or cut. The client waits 5 s before reconnecting, so
// the reconnect tests take that long.

const TOKEN = 'xoxb-socket-test';
const APP_TOKEN = 'xapp-1-A_RUNBOOK-1-socket-test';
const CH = 'C_INCIDENTS';

let slack: LocalSlack;
let app: App;
let slow = false;

// The client logs a cut connection as an error; here it is the point of a test, so it is kept quiet.
const errors: string[] = [];
const logger = {
  debug() {},
  info() {},
  warn() {},
  error: (...msg: unknown[]) => {
    const line = msg.map(String).join(' ');
    if (!/WebSocket error/.test(line)) errors.push(line);
  },
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

beforeAll(async () => {
  slack = await createLocalSlack({
    signingSecret: 'unused-in-socket-mode',
    botToken: TOKEN,
    appToken: APP_TOKEN,
    mode: 'socket',
  });
  app = new App({
    token: TOKEN,
    appToken: APP_TOKEN,
    socketMode: true,
    logger,
    clientOptions: { slackApiUrl: slack.url, retryConfig: { retries: 0 } },
  });
  app.command('/incident', async ({ ack, command, client }) => {
    if (slow) await new Promise((r) => setTimeout(r, 3500));
    await ack({ response_type: 'ephemeral', text: `Starting ${command.text}…` });
    await client.chat.postMessage({
      channel: command.channel_id,
      text: 'Approve repair?',
      blocks: [
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
          ],
        },
      ],
    });
  });
  app.action('approve', async ({ ack, body, client }) => {
    await ack();
    if (body.type !== 'block_actions' || !body.message || !body.channel) return;
    await client.chat.update({
      channel: body.channel.id,
      ts: body.message.ts,
      text: `Approved by <@${body.user.id}>`,
      blocks: [],
    });
  });
  await app.start();
}, 20_000);

afterAll(async () => {
  // Stopped first, so the client is not left reconnecting to a server that is gone.
  await app.stop();
  await slack.waitFor((s) => s.openConnections().length === 0);
  await slack.close();
  expect(errors).toEqual([]);
});

const command = (text: string) => slack.slashCommand({ userId: 'U_ALICE', channelId: CH, text });
const openCount = () => slack.store.openConnections().length;

describe('local Slack in Socket Mode with a real Bolt app', () => {
  it('Bolt connects with the app-level token and is greeted with hello', () => {
    const opens = slack.store.calls.filter((c) => c.method === 'apps.connections.open');
    expect(opens.length).toBeGreaterThanOrEqual(1);
    expect(opens.every((c) => c.ok)).toBe(true);
    expect(openCount()).toBe(1);
  });

  it('a slash command and a click arrive as envelopes and are acked', async () => {
    const reply = await command('run redis-permissions cache');
    expect(reply).toMatchObject({
      status: 200,
      transport: 'socket',
      json: { response_type: 'ephemeral', text: 'Starting run redis-permissions cache…' },
    });
    expect(reply.elapsedMs).toBeLessThan(3000);
    expect(JSON.parse(reply.request.body)).toMatchObject({
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        command: '/incident',
        user_id: 'U_ALICE',
        channel_id: CH,
        text: 'run redis-permissions cache',
      },
    });
    const card = await slack.waitFor((s) => s.messages.find((m) => m.text === 'Approve repair?'));

    const click = await slack.clickButton({
      userId: 'U_BOB',
      channelId: CH,
      messageTs: card.ts,
      actionId: 'approve',
    });
    expect(click).toMatchObject({ status: 200, body: '', transport: 'socket' });
    expect(JSON.parse(click.request.body)).toMatchObject({
      type: 'interactive',
      payload: { type: 'block_actions', actions: [{ action_id: 'approve', value: 'r1' }] },
    });
    await slack.waitFor((s) => s.message(CH, card.ts)?.text === 'Approved by <@U_BOB>');
    const envelopes = slack.store.envelopes.slice(-2);
    expect(envelopes.map((e) => [e.type, e.ackedAt !== undefined])).toEqual([
      ['slash_commands', true],
      ['interactive', true],
    ]);
    await expect(slack.resend(click.request)).rejects.toThrow(/HTTP requests only/);
    await expect(
      slack.slashCommand({ userId: 'U_ALICE', channelId: CH, text: 'x', forgeSignature: true }),
    ).rejects.toThrow(/HTTP delivery/);
  });

  it('an ack later than 3 s is a 504, and the late ack is recorded', async () => {
    slow = true;
    try {
      const reply = await command('list');
      expect(reply.status).toBe(504);
      expect(reply.elapsedMs).toBeGreaterThanOrEqual(2990);
      const id = reply.socket?.envelopeId;
      await slack.waitFor((s) => s.envelopes.find((e) => e.envelopeId === id && e.late));
    } finally {
      slow = false;
    }
  });

  it('after a refresh_requested disconnect Bolt reconnects, and the next command still works', async () => {
    const before = slack.store.connections.length;
    const opensBefore = slack.store.calls.filter((c) => c.method === 'apps.connections.open').length;
    await slack.disconnect();
    const old = slack.store.connections[before - 1];
    expect(old).toMatchObject({ disconnectReason: 'refresh_requested', closedBy: 'disconnect' });
    // Sent while the client is still waiting to reconnect: delivery waits for the new connection.
    const reply = await command('list');
    expect(reply.status).toBe(200);
    expect(reply.socket?.waitedMs).toBeGreaterThan(0);
    expect(reply.socket?.connection).toBe(before + 1);
    expect(slack.store.connections.length).toBe(before + 1);
    expect(slack.store.calls.filter((c) => c.method === 'apps.connections.open').length).toBe(
      opensBefore + 1,
    );
    expect(openCount()).toBe(1);
  }, 20_000);

  it('after an abrupt drop Bolt reconnects too', async () => {
    const before = slack.store.connections.length;
    slack.dropConnections();
    await slack.waitFor((s) => s.openConnections().length === 0);
    expect(slack.store.connections[before - 1]?.closedBy).toBe('drop');
    await slack.waitFor((s) => s.openConnections().length === 1, 15_000);
    expect((await command('list')).status).toBe(200);
    expect(slack.store.connections.length).toBe(before + 1);
  }, 20_000);
});

describe('apps.connections.open and the WebSocket endpoint', () => {
  const open = (token: string) =>
    fetch(`${slack.url}apps.connections.open`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    }).then((r) => r.json() as Promise<{ ok: boolean; url?: string; error?: string }>);

  it('takes only the app-level token, and the app-level token only for it', async () => {
    expect(await open(TOKEN)).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(await open('xapp-wrong')).toEqual({ ok: false, error: 'invalid_auth' });
    const r = await fetch(`${slack.url}auth.test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP_TOKEN}` },
    });
    expect(await r.json()).toEqual({ ok: false, error: 'not_allowed_token_type' });
  });

  it('a ticket opens one connection: hello first, and a reused URL is refused', async () => {
    const { url } = await open(APP_TOKEN);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f]+&app_id=A_RUNBOOK$/);
    const ws = new WebSocket(url as string);
    const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data))));
      ws.once('error', reject);
    });
    expect(hello).toMatchObject({
      type: 'hello',
      num_connections: 2,
      connection_info: { app_id: 'A_RUNBOOK' },
      debug_info: { host: expect.any(String) },
    });
    ws.close();
    await slack.waitFor((s) => s.openConnections().length === 1);

    const again = new WebSocket(url as string);
    const refused = await new Promise<string>((resolve) => {
      again.once('error', (e) => resolve(e.message));
      again.once('open', () => resolve('open'));
    });
    expect(refused).toMatch(/401/);
  });
});
