import { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { SlackApproverDirectory, type UserGroupsApi } from '../../src/bot/slack-approvers.js';

// The approver groups as Slack answers them, against a fake of the one Web API method used.

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function fakeSlack(members: Record<string, string[] | Error | { ok: false; error: string }>) {
  const calls: string[] = [];
  const client: UserGroupsApi = {
    usergroups: {
      users: {
        list: async ({ usergroup }) => {
          calls.push(usergroup);
          const m = members[usergroup];
          if (m instanceof Error) throw m;
          if (m === undefined) throw new Error('no_such_subteam');
          return Array.isArray(m) ? { ok: true, users: m } : m;
        },
      },
    },
  };
  return { client, calls };
}

function directory(slack: ReturnType<typeof fakeSlack>, clock = { t: 0 }) {
  return new SlackApproverDirectory({
    client: slack.client,
    approvers: ['U_LISTED'],
    groups: ['S_ONE', 'S_TWO'],
    log: silent,
    now: () => clock.t,
  });
}

describe('approver groups read from Slack', () => {
  it("Bolt's own Web API client fits the interface", () => {
    const fits: UserGroupsApi = new webApi.WebClient('xoxb-test');
    expect(typeof fits.usergroups.users.list).toBe('function');
  });

  it('a listed approver counts without a call; a member of either group counts; others do not', async () => {
    const slack = fakeSlack({ S_ONE: ['U_1'], S_TWO: ['U_2'] });
    const d = directory(slack);
    expect(await d.mayApprove('U_LISTED')).toBe('yes');
    expect(slack.calls).toEqual([]);
    expect(await d.mayApprove('U_1')).toBe('yes');
    expect(await d.mayApprove('U_2')).toBe('yes');
    expect(await d.mayApprove('U_X')).toBe('no');
  });

  it('keeps members for 60 s, then asks again and sees the change', async () => {
    const members = { S_ONE: ['U_1'], S_TWO: [] as string[] };
    const slack = fakeSlack(members);
    const clock = { t: 0 };
    const d = directory(slack, clock);
    expect(await d.mayApprove('U_NEW')).toBe('no');
    members.S_ONE = ['U_1', 'U_NEW'];
    clock.t = 59_999;
    expect(await d.mayApprove('U_NEW')).toBe('no');
    expect(slack.calls).toEqual(['S_ONE', 'S_TWO']);
    clock.t = 60_000;
    expect(await d.mayApprove('U_NEW')).toBe('yes');
    expect(slack.calls).toEqual(['S_ONE', 'S_TWO', 'S_ONE', 'S_TWO']);
  });

  it('a failed call leaves a non-listed user unresolved, is not cached, and listed ones still count', async () => {
    const members: Parameters<typeof fakeSlack>[0] = { S_ONE: new Error('ratelimited'), S_TWO: [] };
    const slack = fakeSlack(members);
    const d = directory(slack);
    expect(await d.mayApprove('U_1')).toBe('unresolved');
    expect(await d.mayApprove('U_LISTED')).toBe('yes');
    members.S_ONE = { ok: false, error: 'missing_scope' };
    expect(await d.mayApprove('U_1')).toBe('unresolved');
    members.S_ONE = ['U_1'];
    expect(await d.mayApprove('U_1')).toBe('yes');
    expect(slack.calls.filter((g) => g === 'S_ONE')).toHaveLength(3);
  });

  it('a member of a group that answered counts even when another group failed', async () => {
    const d = directory(fakeSlack({ S_ONE: new Error('timeout'), S_TWO: ['U_2'] }));
    expect(await d.mayApprove('U_2')).toBe('yes');
  });

  it('a failed re-read after the minute is unresolved, not the members read before', async () => {
    const members: Parameters<typeof fakeSlack>[0] = { S_ONE: ['U_1'], S_TWO: [] };
    const clock = { t: 0 };
    const d = directory(fakeSlack(members), clock);
    expect(await d.mayApprove('U_1')).toBe('yes');
    members.S_ONE = new Error('slack down');
    clock.t = 61_000;
    expect(await d.mayApprove('U_1')).toBe('unresolved');
  });

  it('many clicks at once share one call per group', async () => {
    const slack = fakeSlack({ S_ONE: ['U_1'], S_TWO: [] });
    const d = directory(slack);
    const answers = await Promise.all(Array.from({ length: 10 }, () => d.mayApprove('U_1')));
    expect(new Set(answers)).toEqual(new Set(['yes']));
    expect(slack.calls).toEqual(['S_ONE', 'S_TWO']);
  });
});
