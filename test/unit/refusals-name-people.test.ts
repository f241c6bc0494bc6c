import { describe, expect, it } from 'vitest';
import { handleDecision } from '../../src/bot/approval-handler.js';
import { encodeButtonValue } from '../../src/bot/button-value.js';
import { type EdgeDeps, runCommand } from '../../src/bot/command-handlers.js';
import { explainFailure } from '../../src/bot/reply-errors.js';
import type { ReportDelivery } from '../../src/bot/report-delivery.js';
import { type ApprovalPolicy, mayDecide } from '../../src/incidents/approval-policy.js';
import { metaKey } from '../../src/incidents/meta.js';
import type { IncidentRecord } from '../../src/incidents/ports.js';
import { listingOf } from '../../src/incidents/summary.js';
import { start } from '../../src/runbooks/index.js';
import { toyRunbook, toyTarget } from '../support/toy-runbook.js';

// A refusal says who can do what was refused, by mention, never which setting lists them; a failure
// is explained by what failed, and the bot's Redis only when it is Redis.

const rec: IncidentRecord = {
  id: 'INC-0001',
  targetName: 'cache',
  version: 1,
  meta: { channel: 'C_A', rootTs: '1.000100', [metaKey.card('INC-0001-a1')]: '2.000200' },
  state: start(
    toyRunbook(),
    { runId: 'INC-0001', target: toyTarget, startedBy: 'U_ON', approvalTtlMs: 60_000 },
    1000,
  ).state,
};
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const policy: ApprovalPolicy = {
  approvers: ['U_BOB', 'U_DAN'],
  approverGroups: ['S_ONCALL'],
  allowSelfApproval: false,
};

function deps(o: Partial<EdgeDeps> = {}): EdgeDeps {
  return {
    orchestrator: {
      start: async () => ({ ok: true, id: 'INC-0002' }),
      decide: async (_id, _a, _d, user) => {
        const refusal = mayDecide(policy, user, rec.state.startedBy, user === 'U_G' ? 'unresolved' : 'no');
        if (!refusal) throw new Error('expected a refusal');
        return { ok: false, refusal };
      },
      cancel: async () => null,
      load: async (id) => (id === rec.id ? rec : null),
    },
    store: { recent: async () => [listingOf(rec)] },
    reports: { deliver: async () => undefined } as unknown as ReportDelivery,
    refresh: async () => undefined,
    approvers: policy.approvers,
    approverGroups: policy.approverGroups ?? [],
    mayApprove: async () => 'no',
    ping: async () => true,
    log: silent,
    ...o,
  };
}

const click = (user: string) =>
  handleDecision(
    'approve',
    { user: { id: user }, channel: { id: 'C_A' }, container: { message_ts: '2.000200' } },
    { type: 'button', value: encodeButtonValue('INC-0001', 'INC-0001-a1') },
    deps(),
  );

describe('refusals say who can', () => {
  it('someone not allowed to approve is told whom to ask: the approvers and the groups, mentioned', async () => {
    const reply = await click('U_CAROL');
    expect(reply).toBe(
      ':no_entry: You are not allowed to approve repairs. Nothing was run. Ask: <@U_BOB>, <@U_DAN> or a member of <!subteam^S_ONCALL>.',
    );
    expect(reply).not.toMatch(/APPROVER/);
  });

  it('the starter is told who else may approve, themselves left out', async () => {
    const onCallApprover = { ...policy, approvers: ['U_ON', 'U_BOB'] };
    const r = mayDecide(onCallApprover, 'U_ON', 'U_ON', 'yes');
    expect(r).toMatchObject({ code: 'self-approval', who: { users: ['U_BOB'], groups: ['S_ONCALL'] } });
    expect(r?.message).not.toMatch(/ALLOW_SELF_APPROVAL/);
  });

  it('a group Slack did not answer for says so, and who may approve, without naming a setting', async () => {
    const reply = await click('U_G');
    expect(reply).toMatch(
      /could not check who may approve.*Nothing was run; try again in a minute\. Who may approve: <@U_BOB>/,
    );
    expect(reply).not.toMatch(/APPROVER_GROUPS/);
  });

  it('with nobody configured, the one refusal that names the settings, since only an operator can help', () => {
    const r = mayDecide({ approvers: [], allowSelfApproval: false }, 'U_X', 'U_ON');
    expect(r?.message).toMatch(
      /Nobody is allowed to approve repairs.*APPROVERS and APPROVER_GROUPS are empty/,
    );
    expect(r?.who).toEqual({ users: [], groups: [] });
  });

  it('cancel by someone else names the starter and the approvers', async () => {
    const reply = await runCommand(
      { kind: 'cancel', incidentId: 'INC-0001' },
      { userId: 'U_CAROL', channelId: 'C_A' },
      deps(),
    );
    expect(reply).toBe(
      'Only the person who started INC-0001 or someone allowed to approve repairs may cancel it. Nothing was cancelled. Ask <@U_ON> (who started it), or an approver: <@U_BOB>, <@U_DAN> or a member of <!subteam^S_ONCALL>.',
    );
  });
});

describe('failures are explained by what failed', () => {
  const platform = (error: string) =>
    Object.assign(new Error(`An API error occurred: ${error}`), {
      code: 'slack_webapi_platform_error',
      data: { ok: false, error },
    });
  const request = Object.assign(new Error('A request error occurred: connect ECONNREFUSED 127.0.0.1:8080'), {
    code: 'slack_webapi_request_error',
  });
  const report = (deliver: ReportDelivery['deliver'], o: Partial<EdgeDeps> = {}) =>
    runCommand(
      { kind: 'report', incidentId: 'INC-0001' },
      { userId: 'U_ON', channelId: 'C_A' },
      deps({ reports: { deliver } as ReportDelivery, ...o }),
    );

  it('Slack not reached is Slack, not Redis, although the message says ECONNREFUSED', async () => {
    const reply = await report(async () => Promise.reject(request));
    expect(reply).toMatch(
      /did not go through: the bot could not reach Slack \(.*ECONNREFUSED 127\.0\.0\.1:8080\)/,
    );
    expect(reply).not.toMatch(/Redis/);
    expect(explainFailure('report', request)).not.toMatch(/Redis/);
    const http = Object.assign(new Error('An HTTP protocol error occurred: statusCode = 404'), {
      code: 'slack_webapi_http_error',
    });
    expect(explainFailure('report', http)).toMatch(/Slack answered with an HTTP error \(.*404\)/);
  });

  it('a thread gone and then the channel refusing too: both are said, neither blamed on Redis', async () => {
    const reply = await report(async (_r, _c, threadTs) =>
      Promise.reject(platform(threadTs ? 'thread_not_found' : 'not_in_channel')),
    );
    expect(reply).toMatch(
      /thread of INC-0001 is gone from Slack \(`thread_not_found`\), and posting its report in the channel failed too: the bot is not a member.*`not_in_channel`/,
    );
    expect(reply).not.toMatch(/Redis/);
  });

  it('Redis is named when it fails a ping after the error, or its client lost the connection', async () => {
    let pings = 0;
    const timeout = new Error('no answer within 15000 ms');
    expect(await report(async () => Promise.reject(timeout), { ping: async () => ++pings === 1 })).toMatch(
      /cannot reach its Redis/,
    );
    // Redis answers after the failure: the timeout is said as it is.
    expect(await report(async () => Promise.reject(timeout))).toMatch(
      /The report failed: no answer within 15000 ms/,
    );
    expect(explainFailure('status', new Error('Connection is closed.'))).toMatch(/cannot reach its Redis/);
    const oom = Object.assign(new Error('OOM command not allowed when used memory > maxmemory'), {
      name: 'ReplyError',
    });
    expect(explainFailure('status', oom, true)).toMatch(
      /the bot's Redis refused it \(OOM command not allowed/,
    );
  });
});

describe('a long list of approvers', () => {
  it('names the first eight people, counts the rest, and always names the groups', async () => {
    const { whoMayApproveText } = await import('../../src/bot/approver-mentions.js');
    const users = Array.from({ length: 12 }, (_, i) => `U_AP${i}`);
    expect(whoMayApproveText({ users, groups: ['S_ONCALL'] })).toBe(
      `${users
        .slice(0, 8)
        .map((u) => `<@${u}>`)
        .join(', ')}, 4 more approvers or a member of <!subteam^S_ONCALL>`,
    );
    expect(whoMayApproveText({ users: users.slice(0, 9), groups: [] })).toContain('<@U_AP8>');
    expect(whoMayApproveText({ users: ['<!channel>'], groups: ['S<x>'] })).toBe(
      '&lt;!channel&gt; or a member of S&lt;x&gt;',
    );
  });
});
