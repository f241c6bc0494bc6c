import { validateBlocks } from '@runbook-bot/local-slack';
import { describe, expect, it } from 'vitest';
import { approvalCard, cardState } from '../../src/bot/approval-card.js';
import type { ReportDelivery } from '../../src/bot/report-delivery.js';
import type { SlackApi } from '../../src/bot/slack-api.js';
import { SlackNotifier } from '../../src/bot/slack-notifier.js';
import type { ApprovalRun, RunState } from '../../src/runbooks/index.js';
import { approvalSetup, highRiskToy, silent } from '../support/multi-approval.js';
import { toyToApproval } from '../support/toy-incident.js';

// The approval card names who may approve (users and user groups as Slack mentions) and, for a
// repair that needs several approvers, who has approved so far and how many that is.

const rb = highRiskToy();
const who = { users: ['U_A', 'U_B'], groups: ['S0ONCALL'] };

async function waiting(highRiskApprovals = 2) {
  const s = approvalSetup({ highRiskApprovals });
  const inc = await toyToApproval(s.o, s.store);
  const state = (await s.store.load(inc.id))?.state as RunState;
  return { s, inc, state, a: state.approvals[inc.approvalId] as ApprovalRun };
}

const textOf = (card: ReturnType<typeof approvalCard>) => JSON.stringify(card.blocks);

describe('the approval card and who may approve', () => {
  it('names the listed approvers and the groups as mentions, and says when nobody may', async () => {
    const { state, a } = await waiting();
    const card = approvalCard(state.runId, state, rb, a, who);
    expect(validateBlocks(card.blocks)).toEqual([]);
    expect(textOf(card)).toContain('*Who may approve:* <@U_A>, <@U_B>, <!subteam^S0ONCALL>');
    const nobody = approvalCard(state.runId, state, rb, a, { users: [], groups: [] });
    expect(textOf(nobody)).toContain(
      '*Who may approve:* nobody: APPROVERS and APPROVER_GROUPS are both empty',
    );
    expect(textOf(approvalCard(state.runId, state, rb, a))).not.toContain('Who may approve');
  });

  it('shows the approvals so far and how many are needed; each new approval changes its state', async () => {
    const { s, inc, state, a } = await waiting();
    expect(textOf(approvalCard(state.runId, state, rb, a, who))).toContain('*Approvals:* 0 of 2');
    const one = await s.o.decide(inc.id, inc.approvalId, 'approve', 'U_B');
    if (!one.ok) throw new Error(one.refusal.message);
    const a1 = one.state.approvals[inc.approvalId] as ApprovalRun;
    const card = approvalCard(state.runId, one.state, rb, a1, who);
    expect(validateBlocks(card.blocks)).toEqual([]);
    expect(textOf(card)).toContain('*Approvals:* 1 of 2 — <@U_B>');
    expect(card.text).toMatch(/\(1 of 2 approvals\)$/);
    // Still pending, so still the buttons; but the card is rewritten to show the approval.
    expect(textOf(card)).toContain('"Approve"');
    expect(cardState(a1)).not.toBe(cardState(a));
    const two = await s.o.decide(inc.id, inc.approvalId, 'approve', 'U_A');
    if (!two.ok) throw new Error(two.refusal.message);
    const done = approvalCard(
      state.runId,
      two.state,
      rb,
      two.state.approvals[inc.approvalId] as ApprovalRun,
      who,
    );
    expect(textOf(done)).toMatch(/Approved\* by <@U_B> and <@U_A> at \d{4}-\d\d-\d\d/);
    expect(textOf(done)).not.toContain('Who may approve');
  });

  it('a one-approval card shows no count and keeps its old state', async () => {
    const { state, a } = await waiting(1);
    expect(textOf(approvalCard(state.runId, state, rb, a, who))).not.toContain('Approvals:');
    expect(cardState(a)).toBe('pending');
  });
});

describe('the Slack notifier hands the card who may approve', () => {
  it('the posted card and its update after one approval name them', async () => {
    const posts: unknown[] = [];
    const updates: unknown[] = [];
    const slack: SlackApi = {
      post: async (m) => {
        posts.push(m);
        return `1700000000.00010${posts.length}`;
      },
      update: async (m) => void updates.push(m),
      ephemeral: async () => undefined,
      upload: async () => undefined,
    };
    const s = approvalSetup({ highRiskApprovals: 2 });
    const notifier = new SlackNotifier({
      slack,
      store: s.store,
      runbooks: () => rb,
      reports: {} as ReportDelivery,
      secrets: () => [],
      log: silent,
      approvers: who,
    });
    const inc = await toyToApproval(s.o, s.store, { channel: 'C1' });
    const rec = await s.store.load(inc.id);
    const approval = rec?.state.approvals[inc.approvalId];
    if (!rec || !approval) throw new Error('no approval');
    await notifier.handle(rec, { type: 'request-approval', runId: inc.id, approval });
    expect(JSON.stringify(posts.at(-1))).toContain('<!subteam^S0ONCALL>');
    await s.o.decide(inc.id, inc.approvalId, 'approve', 'U_A');
    await notifier.refresh(inc.id);
    expect(JSON.stringify(updates.at(-1))).toContain('*Approvals:* 1 of 2 — <@U_A>');
    expect(JSON.stringify(updates.at(-1))).toContain('<!subteam^S0ONCALL>');
  });
});
