import { describe, expect, it } from 'vitest';
import { handleDecision } from '../../src/bot/approval-handler.js';
import { encodeButtonValue } from '../../src/bot/button-value.js';
import { type EdgeDeps, runCommand } from '../../src/bot/command-handlers.js';
import type { ApproverAnswer, ApproverDirectory } from '../../src/incidents/approval-policy.js';
import { approverAnswer, mayDecide } from '../../src/incidents/approval-policy.js';
import { approvalSetup, silent } from '../support/multi-approval.js';
import { toyToApproval } from '../support/toy-incident.js';
import { toyRunbook } from '../support/toy-runbook.js';

// Who may approve when user groups count too (the answer is I/O, asked of a directory before the
// engine sees the decision), and several approvers through the orchestrator and the Slack edge.

const policy = { approvers: ['U_A'], approverGroups: ['S_ONCALL'], allowSelfApproval: false };
const directory = (
  answer: (u: string) => ApproverAnswer | Error,
  asked: string[] = [],
): ApproverDirectory => ({
  mayApprove: async (u) => {
    asked.push(u);
    const a = answer(u);
    if (a instanceof Error) throw a;
    return a;
  },
});

describe('who may approve, with approver groups', () => {
  it('a listed approver counts without asking; with no groups nobody else is asked either', async () => {
    const asked: string[] = [];
    const d = directory(() => new Error('asked'), asked);
    expect(await approverAnswer(policy, d, 'U_A')).toBe('yes');
    expect(await approverAnswer({ ...policy, approverGroups: [] }, d, 'U_X')).toBe('no');
    expect(asked).toEqual([]);
  });

  it('a group member counts; a directory that fails or is missing leaves it unresolved, never yes', async () => {
    expect(
      await approverAnswer(
        policy,
        directory(() => 'yes'),
        'U_G',
      ),
    ).toBe('yes');
    expect(
      await approverAnswer(
        policy,
        directory(() => 'no'),
        'U_X',
      ),
    ).toBe('no');
    expect(
      await approverAnswer(
        policy,
        directory(() => 'unresolved'),
        'U_X',
      ),
    ).toBe('unresolved');
    expect(
      await approverAnswer(
        policy,
        directory(() => new Error('slack down')),
        'U_X',
      ),
    ).toBe('unresolved');
    expect(await approverAnswer(policy, undefined, 'U_X')).toBe('unresolved');
  });

  it('unresolved refuses in plain words; the starter is refused as the starter whatever the groups say', () => {
    const r = mayDecide(policy, 'U_X', 'U_ON', 'unresolved');
    expect(r?.code).toBe('approvers-unresolved');
    expect(r?.message).toMatch(/could not check who may approve.*Nothing was run; try again/);
    expect(mayDecide(policy, 'U_ON', 'U_ON', 'unresolved')?.code).toBe('self-approval');
    expect(mayDecide(policy, 'U_G', 'U_ON', 'yes')).toBeNull();
    // A refusal says whom to ask (the edge mentions them), not which setting lists them.
    const no = mayDecide(policy, 'U_X', 'U_ON', 'no');
    expect(no?.message).not.toMatch(/APPROVER/);
    expect(no?.who).toEqual({ users: policy.approvers, groups: policy.approverGroups });
  });
});

describe('the orchestrator and approver groups', () => {
  it('a group member may decide; a failed lookup refuses and writes nothing', async () => {
    let answer: ApproverAnswer | Error = new Error('usergroups.users.list failed');
    const s = approvalSetup({ runbook: toyRunbook(), policy, directory: directory(() => answer) });
    const { id, approvalId } = await toyToApproval(s.o, s.store);
    const before = (await s.store.load(id))?.version;
    expect(await s.o.decide(id, approvalId, 'approve', 'U_G')).toMatchObject({
      ok: false,
      refusal: { code: 'approvers-unresolved' },
    });
    answer = 'no';
    expect(await s.o.decide(id, approvalId, 'reject', 'U_G')).toMatchObject({
      ok: false,
      refusal: { code: 'not-an-approver' },
    });
    expect((await s.store.load(id))?.version).toBe(before);
    expect(s.repairs()).toEqual([]);
    answer = 'yes';
    expect(await s.o.decide(id, approvalId, 'approve', 'U_G')).toMatchObject({ ok: true });
    expect(s.repairs()).toHaveLength(1);
  });
});

describe('the orchestrator and several approvers', () => {
  it('the count is fixed in the incident as it starts', async () => {
    const s = approvalSetup({ highRiskApprovals: 3 });
    const { id } = await toyToApproval(s.o, s.store);
    const state = (await s.store.load(id))?.state;
    expect(state?.highRiskApprovals).toBe(3);
    expect(Object.values(state?.approvals ?? {})[0]?.needed).toBe(3);
  });

  it('one approval is recorded, the same person again is told it needs one more, the second runs it', async () => {
    const s = approvalSetup({ highRiskApprovals: 2 });
    const { id, approvalId } = await toyToApproval(s.o, s.store);
    const first = await s.o.decide(id, approvalId, 'approve', 'U_A');
    expect(first).toMatchObject({ ok: true, state: { status: 'awaiting-approval' } });
    expect(s.repairs()).toEqual([]);
    const version = (await s.store.load(id))?.version;
    expect(await s.o.decide(id, approvalId, 'approve', 'U_A')).toEqual({
      ok: false,
      refusal: {
        code: 'already-approved',
        message:
          'You have already approved this; it needs one more approver before it runs. Nothing has run yet.',
        missing: 1,
      },
    });
    expect((await s.store.load(id))?.version).toBe(version);
    expect(await s.o.decide(id, approvalId, 'approve', 'U_B')).toMatchObject({ ok: true });
    expect(s.repairs()).toHaveLength(1);
  });

  it('ten concurrent clicks from two approvers: one repair, both recorded', async () => {
    const s = approvalSetup({ highRiskApprovals: 2 });
    const { id, approvalId } = await toyToApproval(s.o, s.store);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.o.decide(id, approvalId, 'approve', i % 2 ? 'U_A' : 'U_B')),
    );
    expect(answers.filter((x) => x.ok)).toHaveLength(2);
    expect(s.repairs()).toHaveLength(1);
    const a = (await s.store.load(id))?.state.approvals[approvalId];
    expect(a?.status).toBe('approved');
    expect(a?.approvedBy?.map((g) => g.by).sort()).toEqual(['U_A', 'U_B']);
  });

  it('the starter never counts, for each of several, unless self-approval is allowed', async () => {
    const off = approvalSetup({ highRiskApprovals: 2, policy: { approvers: ['U_ON', 'U_A'] } });
    const inc = await toyToApproval(off.o, off.store);
    expect(await off.o.decide(inc.id, inc.approvalId, 'approve', 'U_A')).toMatchObject({ ok: true });
    expect(await off.o.decide(inc.id, inc.approvalId, 'approve', 'U_ON')).toMatchObject({
      ok: false,
      refusal: { code: 'self-approval' },
    });
    expect(off.repairs()).toEqual([]);
    expect((await off.store.load(inc.id))?.state.approvals[inc.approvalId]?.approvedBy).toHaveLength(1);

    const on = approvalSetup({
      highRiskApprovals: 2,
      policy: { approvers: ['U_ON', 'U_A'], allowSelfApproval: true },
    });
    const inc2 = await toyToApproval(on.o, on.store);
    expect(await on.o.decide(inc2.id, inc2.approvalId, 'approve', 'U_ON')).toMatchObject({ ok: true });
    expect(await on.o.decide(inc2.id, inc2.approvalId, 'approve', 'U_A')).toMatchObject({ ok: true });
    expect(on.repairs()).toHaveLength(1);
  });
});

describe('the Slack edge with several approvers and groups', () => {
  const CARD_TS = '1700000000.000100';

  async function edge(o: Parameters<typeof approvalSetup>[0] & { mayApprove?: EdgeDeps['mayApprove'] }) {
    const s = approvalSetup(o);
    const inc = await toyToApproval(s.o, s.store, { channel: 'C1' });
    await s.store.setMeta(inc.id, { [`card.${inc.approvalId}`]: CARD_TS });
    const refreshed: string[] = [];
    const d: EdgeDeps = {
      orchestrator: s.o,
      store: s.store,
      reports: {} as EdgeDeps['reports'],
      refresh: async (id) => void refreshed.push(id),
      approvers: ['U_A', 'U_B'],
      ...(o.mayApprove ? { mayApprove: o.mayApprove } : {}),
      ping: async () => true,
      log: silent,
    };
    const click = (user: string, decision: 'approve' | 'reject' = 'approve') =>
      handleDecision(
        decision,
        { user: { id: user }, channel: { id: 'C1' }, container: { message_ts: CARD_TS } },
        { type: 'button', value: encodeButtonValue(inc.id, inc.approvalId) },
        d,
      );
    return { s, inc, d, click, refreshed };
  }

  it('an approval recorded but not yet enough says so, and that nothing has run', async () => {
    const e = await edge({ highRiskApprovals: 2 });
    expect(await e.click('U_A')).toBe(
      ':ballot_box_with_check: Recorded your approval (1 of 2); it needs one more approver before it runs. Nothing has run yet.',
    );
    expect(e.refreshed).toEqual([e.inc.id]);
    expect(await e.click('U_A')).toBe(
      ':information_source: You have already approved this; it needs one more approver before it runs. Nothing has run yet.',
    );
    expect(await e.click('U_B')).toMatch(
      /^:white_check_mark: You approved "fix it" at .+ The repair runs now/,
    );
    expect(e.s.repairs()).toHaveLength(1);
  });

  it('cancel: a group member may, an unreadable group refuses and cancels nothing, a stranger may not', async () => {
    let answer: ApproverAnswer = 'unresolved';
    const e = await edge({ mayApprove: async () => answer });
    const cancel = () =>
      runCommand({ kind: 'cancel', incidentId: e.inc.id }, { userId: 'U_G', channelId: 'C1' }, e.d);
    expect(await cancel()).toMatch(/could not check who may cancel .*Nothing was cancelled; try again/);
    answer = 'no';
    expect(await cancel()).toMatch(/^Only the person who started INC-0001 or someone allowed to approve/);
    expect((await e.s.store.load(e.inc.id))?.state.status).toBe('awaiting-approval');
    answer = 'yes';
    expect(await cancel()).toMatch(/^Cancelled INC-0001/);
    expect((await e.s.store.load(e.inc.id))?.state.status).toBe('cancelled');
  });

  it('cancel without the group check: only the starter and the listed approvers', async () => {
    const e = await edge({});
    expect(
      await runCommand({ kind: 'cancel', incidentId: e.inc.id }, { userId: 'U_G', channelId: 'C1' }, e.d),
    ).toMatch(/^Only the person who started/);
  });
});
