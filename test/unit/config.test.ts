import { describe, expect, it } from 'vitest';
import { type Config, credentialValues, parseConfig } from '../../src/config.js';

// The environment as each role reads it: bounds, defaults, and errors that name the variable only.
const BOT = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
};

const parsed = (env: Record<string, string>) => {
  const r = parseConfig({ ...BOT, ...env }, 'all');
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
};
const errorsOf = (env: Record<string, string>) => {
  const r = parseConfig({ ...BOT, ...env }, 'all');
  return r.ok ? [] : r.errors;
};

describe('APPROVAL_TTL', () => {
  it('is refused below a second and above a day, naming the variable and not the value', () => {
    for (const v of ['0s', '0ms', '999ms', '25h', '1441m']) {
      const errors = errorsOf({ APPROVAL_TTL: v });
      expect(errors, v).toHaveLength(1);
      expect(errors[0], v).toMatch(/^APPROVAL_TTL: /);
      expect(errors[0], v).not.toContain(v);
    }
  });

  it('accepts the bounds themselves and the 3s the e2e tests use', () => {
    expect(parsed({ APPROVAL_TTL: '1s' }).APPROVAL_TTL).toBe(1000);
    expect(parsed({ APPROVAL_TTL: '3s' }).APPROVAL_TTL).toBe(3000);
    expect(parsed({ APPROVAL_TTL: '24h' }).APPROVAL_TTL).toBe(86_400_000);
    expect(parsed({}).APPROVAL_TTL).toBe(15 * 60_000);
  });
});

describe('approval settings', () => {
  it('default to no groups, one approver for high-risk repairs, and approvers kept to their channel', () => {
    const c = parsed({});
    expect(c.APPROVER_GROUPS).toEqual([]);
    expect(c.HIGH_RISK_APPROVALS).toBe(1);
    expect(c.APPROVER_CROSS_CHANNEL).toBe(false);
  });

  it('read Slack user group ids, a count of 1 to 5 and a boolean', () => {
    const c = parsed({
      APPROVER_GROUPS: 'S012ABC, S0ONCALL9 ,',
      HIGH_RISK_APPROVALS: '3',
      APPROVER_CROSS_CHANNEL: 'true',
    });
    expect(c.APPROVER_GROUPS).toEqual(['S012ABC', 'S0ONCALL9']);
    expect(c.HIGH_RISK_APPROVALS).toBe(3);
    expect(c.APPROVER_CROSS_CHANNEL).toBe(true);
  });

  it('refuse what is not, naming the variable and never echoing the value', () => {
    const cases: [string, string][] = [
      ['APPROVER_GROUPS', 'U012ABC'],
      ['APPROVER_GROUPS', 'S012,oncall-team'],
      ['HIGH_RISK_APPROVALS', '0'],
      ['HIGH_RISK_APPROVALS', '6'],
      ['HIGH_RISK_APPROVALS', '2.5'],
      ['HIGH_RISK_APPROVALS', 'two'],
      ['APPROVER_CROSS_CHANNEL', 'maybe'],
    ];
    for (const [name, value] of cases) {
      const errors = errorsOf({ [name]: value });
      expect(errors.length, `${name}=${value}`).toBeGreaterThan(0);
      for (const e of errors) {
        expect(e, `${name}=${value}`).toMatch(new RegExp(`^${name}(\\.\\d+)?: `));
        expect(e.slice(name.length), `${name}=${value}`).not.toContain(value);
      }
    }
  });
});

describe('credentialValues', () => {
  it('lists every credential the process was given, for redaction', () => {
    const c = parsed({ SLACK_APP_TOKEN: 'xapp-1-A1-2-b3' });
    expect(credentialValues(c).sort()).toEqual([
      'signing-secret-0123456789',
      'xapp-1-A1-2-b3',
      'xoxb-1-2-abc',
    ]);
  });

  it('includes the alert webhook token when the configuration has one', () => {
    const c: Config = parsed({});
    const withToken = Object.assign({}, c, { ALERT_WEBHOOK_TOKEN: 'webhook-token-abcdef' });
    expect(credentialValues(withToken)).toContain('webhook-token-abcdef');
    const read = parsed({ ALERT_WEBHOOK_TOKEN: 'webhook-token-from-env-0123', ALERT_CHANNEL: 'C0123ALERTS' });
    expect(credentialValues(read)).toContain('webhook-token-from-env-0123');
  });

  it('is empty for a worker given no Slack settings', () => {
    const r = parseConfig({}, 'worker');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(credentialValues(r.config)).toEqual([]);
  });
});

describe('the alert intake settings', () => {
  it('are off by default, with 6 incidents per target per hour and a 10-minute reopen window', () => {
    const c = parsed({});
    expect(c.ALERT_WEBHOOK_TOKEN).toBeUndefined();
    expect(c.ALERT_RATE_PER_HOUR).toBe(6);
    expect(c.ALERT_REOPEN_WINDOW).toBe(600_000);
    expect(parsed({ ALERT_REOPEN_WINDOW: '0s' }).ALERT_REOPEN_WINDOW).toBe(0);
  });

  it('a token needs ALERT_CHANNEL in the bot roles, not in the worker', () => {
    const token = { ALERT_WEBHOOK_TOKEN: 'a'.repeat(32) };
    expect(errorsOf(token)).toEqual([
      expect.stringMatching(/^ALERT_CHANNEL: required when ALERT_WEBHOOK_TOKEN is set/),
    ]);
    expect(parseConfig(token, 'worker').ok).toBe(true);
    expect(parsed({ ...token, ALERT_CHANNEL: 'C0123ALERTS' }).ALERT_CHANNEL).toBe('C0123ALERTS');
  });

  it('are refused when out of shape, naming the variable and never the value', () => {
    for (const [name, v] of [
      ['ALERT_WEBHOOK_TOKEN', 'short-token'],
      ['ALERT_WEBHOOK_TOKEN', 'has spaces in it, 0123456789'],
      ['ALERT_CHANNEL', '#incidents'],
      ['ALERT_CHANNEL', 'U0123ABC'],
      ['ALERT_RATE_PER_HOUR', '0'],
      ['ALERT_RATE_PER_HOUR', 'six'],
      ['ALERT_REOPEN_WINDOW', '25h'],
      ['ALERT_REOPEN_WINDOW', '10 minutes'],
    ] as const) {
      const errors = errorsOf({ ALERT_CHANNEL: 'C0123ALERTS', [name]: v });
      expect(errors, `${name}=${v}`).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`^${name}: `));
      expect(errors[0]).not.toContain(v);
    }
  });
});
