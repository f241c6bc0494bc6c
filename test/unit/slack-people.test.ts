import { createLocalSlack } from '@runbook-bot/local-slack';
import { webApi } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import {
  nameFrom,
  PEOPLE_TTL_MS,
  PeopleLookupError,
  SlackPeopleDirectory,
  type UsersInfoApi,
} from '../../src/bot/slack-people.js';

// People's names as Slack answers users.info: against a fake of the one method, and against the
// local Slack through Bolt's own client.

type Answer = Awaited<ReturnType<UsersInfoApi['users']['info']>> | Error;

function fakeSlack(answers: Record<string, Answer>) {
  const calls: string[] = [];
  const client: UsersInfoApi = {
    users: {
      info: async ({ user }) => {
        calls.push(user);
        const a = answers[user];
        if (a instanceof Error) throw a;
        return a ?? { ok: false, error: 'user_not_found' };
      },
    },
  };
  return { client, calls };
}

const person = (name: string, real?: string, display?: string) => ({
  ok: true,
  user: {
    name,
    ...(real === undefined ? {} : { real_name: real }),
    profile: {
      ...(real === undefined ? {} : { real_name: real }),
      ...(display === undefined ? {} : { display_name: display }),
    },
  },
});

describe('people named by Slack', () => {
  it("Bolt's own Web API client fits the interface", () => {
    const fits: UsersInfoApi = new webApi.WebClient('xoxb-test');
    expect(typeof fits.users.info).toBe('function');
  });

  it('the display name, else the real name, else the handle', async () => {
    expect(nameFrom({ name: 'bob', real_name: 'Bob Approver', profile: { display_name: 'Bobby' } })).toBe(
      'Bobby',
    );
    // Slack sends an empty display name for people who never set one.
    expect(nameFrom({ name: 'bob', profile: { display_name: ' ', real_name: 'Bob Approver' } })).toBe(
      'Bob Approver',
    );
    expect(nameFrom({ name: 'bob', real_name: 'Bob A.', profile: {} })).toBe('Bob A.');
    expect(nameFrom({ name: 'bob' })).toBe('bob');
    expect(nameFrom({})).toBeUndefined();
    const slack = fakeSlack({ U_BOB: person('bob', 'Bob Approver', '') });
    expect(await new SlackPeopleDirectory({ client: slack.client }).nameOf('U_BOB')).toBe('Bob Approver');
  });

  it('keeps a name for 10 minutes, then asks again and sees a rename', async () => {
    const answers: Record<string, Answer> = { U_BOB: person('bob', 'Bob Approver') };
    const slack = fakeSlack(answers);
    const clock = { t: 0 };
    const d = new SlackPeopleDirectory({ client: slack.client, now: () => clock.t });
    expect(await d.nameOf('U_BOB')).toBe('Bob Approver');
    answers.U_BOB = person('bob', 'Robert Approver');
    clock.t = PEOPLE_TTL_MS - 1;
    expect(await d.nameOf('U_BOB')).toBe('Bob Approver');
    expect(slack.calls).toEqual(['U_BOB']);
    clock.t = PEOPLE_TTL_MS;
    expect(await d.nameOf('U_BOB')).toBe('Robert Approver');
    expect(slack.calls).toEqual(['U_BOB', 'U_BOB']);
    expect(PEOPLE_TTL_MS).toBe(600_000);
  });

  it('concurrent lookups of one person share one call; different people are asked apart', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const calls: string[] = [];
    const client: UsersInfoApi = {
      users: {
        info: async ({ user }) => {
          calls.push(user);
          await gate;
          return person(user.toLowerCase());
        },
      },
    };
    const d = new SlackPeopleDirectory({ client });
    const asked = [d.nameOf('U_BOB'), d.nameOf('U_BOB'), d.nameOf('U_ALICE'), d.nameOf('U_BOB')];
    release();
    expect(await Promise.all(asked)).toEqual(['u_bob', 'u_bob', 'u_alice', 'u_bob']);
    expect(calls).toEqual(['U_BOB', 'U_ALICE']);
  });

  it('a failure is not kept: it rejects with Slack’s code, and the next lookup asks again', async () => {
    const boltError = Object.assign(new Error('An API error occurred: ratelimited'), {
      code: 'slack_webapi_platform_error',
      data: { ok: false, error: 'ratelimited' },
    });
    const answers: Record<string, Answer> = { U_BOB: boltError };
    const slack = fakeSlack(answers);
    const d = new SlackPeopleDirectory({ client: slack.client });
    await expect(d.nameOf('U_BOB')).rejects.toEqual(new PeopleLookupError('ratelimited'));
    await expect(d.nameOf('U_BOB')).rejects.toMatchObject({ code: 'ratelimited' });
    answers.U_BOB = { ok: false, error: 'missing_scope' };
    await expect(d.nameOf('U_BOB')).rejects.toMatchObject({ code: 'missing_scope' });
    answers.U_BOB = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await expect(d.nameOf('U_BOB')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    answers.U_BOB = person('bob', 'Bob Approver');
    expect(await d.nameOf('U_BOB')).toBe('Bob Approver');
    expect(slack.calls).toHaveLength(5);
  });

  it('an id Slack does not know is an answer (no name), kept like one', async () => {
    const slack = fakeSlack({});
    const d = new SlackPeopleDirectory({ client: slack.client });
    expect(await d.nameOf('alertmanager')).toBeUndefined();
    expect(await d.nameOf('alertmanager')).toBeUndefined();
    expect(slack.calls).toEqual(['alertmanager']);
  });
});

describe('people named by the local Slack, through Bolt', () => {
  it('names its users, knows nobody else, and asks again after a failure', async () => {
    const slack = await createLocalSlack({ signingSecret: 's', botToken: 'xoxb-people' });
    try {
      const client = new webApi.WebClient('xoxb-people', {
        slackApiUrl: slack.url,
        retryConfig: { retries: 0 },
      });
      const d = new SlackPeopleDirectory({ client });
      const infoCalls = () => slack.store.calls.filter((c) => c.method === 'users.info').length;
      // The local Slack gives each user their handle as display name, as Slack shows them.
      expect(await d.nameOf('U_BOB')).toBe('bob');
      slack.addUser({ id: 'U_DAN', name: '', realName: 'Dan Nohandle' });
      expect(await d.nameOf('U_DAN')).toBe('Dan Nohandle');
      expect(await d.nameOf('U_NOBODY')).toBeUndefined();
      expect(await Promise.all([d.nameOf('U_BOB'), d.nameOf('U_NOBODY')])).toEqual(['bob', undefined]);
      expect(infoCalls()).toBe(3);

      slack.store.failMethod('users.info', 'internal_error');
      await expect(d.nameOf('U_ALICE')).rejects.toMatchObject({ code: 'internal_error' });
      slack.store.clearFailures();
      expect(await d.nameOf('U_ALICE')).toBe('alice');
      expect(infoCalls()).toBe(5);
    } finally {
      await slack.close();
    }
  });
});
