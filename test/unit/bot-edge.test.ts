import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeUnderTest } from '../support/edge-under-test.js';

// With the bot's Redis "down", commands are acknowledged at once and nothing is started.
let e: Awaited<ReturnType<typeof edgeUnderTest>>;
let port = '';

beforeAll(async () => {
  e = await edgeUnderTest();
  port = new URL(e.origin).port;
});
afterAll(() => e.close());

describe('Slack edge', () => {
  it('with Redis down, /incident run is acknowledged at once and says it cannot start runs', async () => {
    e.state.redisUp = false;
    const reply = await e.slack.slashCommand({
      userId: 'U_ALICE',
      channelId: 'C_INCIDENTS',
      text: 'run redis-permissions cache',
    });
    expect(reply.status).toBe(200);
    expect(reply.elapsedMs).toBeLessThan(3000);
    expect(JSON.stringify(reply.json)).toMatch(/Starting `redis-permissions` on `cache`/);
    await e.slack.waitFor((s) => s.ephemerals.find((e) => /cannot start runs right now/.test(e.text)));
    expect(e.state.started).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('with Redis up, the run starts and the starter is told its id', async () => {
    e.state.redisUp = true;
    await e.slack.slashCommand({
      userId: 'U_ALICE',
      channelId: 'C_INCIDENTS',
      text: 'run redis-permissions cache',
    });
    await e.slack.waitFor((s) => s.ephemerals.find((e) => /Started \*INC-0001\*/.test(e.text)));
    expect(e.state.started).toEqual(['cache']);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  });

  it('a malformed button value is refused before anything is looked up', async () => {
    const post = await e.edge.client.chat.postMessage({
      channel: 'C_INCIDENTS',
      text: 'card',
      blocks: [
        {
          type: 'actions',
          block_id: 'approval.x',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Approve' },
              action_id: 'incident_approve',
              value: 'nope',
            },
          ],
        },
      ],
    });
    const reply = await e.slack.clickButton({
      userId: 'U_BOB',
      channelId: 'C_INCIDENTS',
      messageTs: post.ts as string,
      actionId: 'incident_approve',
    });
    expect(reply.status).toBe(200);
    await e.slack.waitFor((s) => s.ephemerals.find((e) => e.user === 'U_BOB' && /not valid/.test(e.text)));
  });
});
