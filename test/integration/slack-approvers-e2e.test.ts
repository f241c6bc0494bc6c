import { labDocker, setupScenario } from '@runbook-bot/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotHarness, botHarness, CHANNEL } from '../support/bot-harness.js';
import { BotRedis } from '../support/bot-redis.js';
import { labEnv } from '../support/lab-run.js';

// Approvers as a team: a Slack user group named in APPROVER_GROUPS, resolved with
// usergroups.users.list through the local Slack. A group Slack cannot answer for lets nobody in.
let redis: BotRedis;
let h: BotHarness;
let teardown: () => Promise<void>;
let targetName = '';

beforeAll(async () => {
  redis = await BotRedis.start();
  const env = labEnv();
  const s = await setupScenario('rdb-permission', { env, docker: labDocker(env) });
  teardown = () => s.teardown();
  targetName = s.targetName;
  h = await botHarness({
    redisUrl: redis.url,
    scenarios: [s],
    approvers: ['U_BOB'],
    approverGroups: ['S0ONCALL'],
    userGroups: [{ id: 'S0ONCALL', handle: 'oncall', users: ['U_CAROL'] }],
  });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await teardown?.();
  await redis?.stop();
});

describe('approver groups through Slack', () => {
  it('the card names the group; a member may approve, but not while the group cannot be read', async () => {
    const id = await h.start(`run redis-permissions ${targetName}`);
    const card = await h.card(id);
    const blocks = JSON.stringify(card.blocks);
    expect(blocks).toContain('<!subteam^S0ONCALL>');
    expect(blocks).toContain('<@U_BOB>');
    const click = () =>
      h.slack.clickButton({
        userId: 'U_CAROL',
        channelId: CHANNEL,
        messageTs: card.ts,
        actionId: 'incident_approve',
      });

    h.slack.store.failMethod('usergroups.users.list', 'ratelimited');
    await click();
    await h.slack.waitFor((s) =>
      s.ephemerals.find((e) => e.user === 'U_CAROL' && /could not check/i.test(e.text)),
    );
    const rec = await h.orchestrator.load(id);
    expect(Object.values(rec?.state.approvals ?? {}).map((a) => a.status)).toEqual(['pending']);

    h.slack.store.clearFailures();
    await click();
    await h.slack.waitFor((s) =>
      s.ephemerals.find((e) => e.user === 'U_CAROL' && /You approved/.test(e.text)),
    );
    expect(await h.waitForStatus(id, ['resolved'])).toBe('resolved');
    const decided = Object.values((await h.orchestrator.load(id))?.state.approvals ?? {})[0];
    expect(decided?.decidedBy).toBe('U_CAROL');
  });
});
