import { createLocalSlack, type LocalSlack } from '@runbook-bot/local-slack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeDeps } from '../../src/bot/command-handlers.js';
import type { ReportDelivery } from '../../src/bot/report-delivery.js';
import { createSlackEdge, type SlackEdge } from '../../src/bot/slack-app.js';

// The Bolt app alone, against the local Slack, with the orchestrator replaced by a recorder and the
// bot's Redis "down": commands are acknowledged at once and nothing is started.
const SECRET = 'edge-signing-secret';
const TOKEN = 'xoxb-edge-test';
let slack: LocalSlack;
let edge: SlackEdge;
let port = 0;
let redisUp = false;
const started: string[] = [];
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  slack = await createLocalSlack({ signingSecret: SECRET, botToken: TOKEN });
  edge = createSlackEdge({
    botToken: TOKEN,
    signingSecret: SECRET,
    apiUrl: slack.url,
    port: 0,
    known: () => ({ runbookIds: ['redis-permissions'], targetNames: ['cache'] }),
    ping: async () => redisUp,
    secrets: () => [],
    log: silent,
  });
  const deps: EdgeDeps = {
    orchestrator: {
      start: async (r) => {
        started.push(r.targetName);
        return { ok: true, id: 'INC-0001' };
      },
      decide: async () => {
        throw new Error('must not be called');
      },
      cancel: async () => null,
      load: async () => null,
    },
    store: { recent: async () => [] },
    reports: {} as ReportDelivery,
    refresh: async () => undefined,
    approvers: ['U_BOB'],
    ping: async () => redisUp,
    log: silent,
  };
  edge.attach(deps);
  port = await edge.start();
  slack.botUrl = `http://127.0.0.1:${port}/slack/events`;
});

afterAll(async () => {
  await edge.stop();
  await slack.close();
});

describe('Slack edge', () => {
  it('with Redis down, /incident run is acknowledged at once and says it cannot start runs', async () => {
    redisUp = false;
    const reply = await slack.slashCommand({
      userId: 'U_ALICE',
      channelId: 'C_INCIDENTS',
      text: 'run redis-permissions cache',
    });
    expect(reply.status).toBe(200);
    expect(reply.elapsedMs).toBeLessThan(3000);
    expect(JSON.stringify(reply.json)).toMatch(/Starting `redis-permissions` on `cache`/);
    await slack.waitFor((s) => s.ephemerals.find((e) => /cannot start runs right now/.test(e.text)));
    expect(started).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('with Redis up, the run starts and the starter is told its id', async () => {
    redisUp = true;
    await slack.slashCommand({
      userId: 'U_ALICE',
      channelId: 'C_INCIDENTS',
      text: 'run redis-permissions cache',
    });
    await slack.waitFor((s) => s.ephemerals.find((e) => /Started \*INC-0001\*/.test(e.text)));
    expect(started).toEqual(['cache']);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  });

  it('a malformed button value is refused before anything is looked up', async () => {
    const post = await edge.client.chat.postMessage({
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
    const reply = await slack.clickButton({
      userId: 'U_BOB',
      channelId: 'C_INCIDENTS',
      messageTs: post.ts as string,
      actionId: 'incident_approve',
    });
    expect(reply.status).toBe(200);
    await slack.waitFor((s) => s.ephemerals.find((e) => e.user === 'U_BOB' && /not valid/.test(e.text)));
  });
});
