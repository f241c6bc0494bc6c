import { describe, expect, it } from 'vitest';
import { type RoutingTable, routeAlert } from '../../src/alerts/route.js';
import { parseTargets } from '../../src/targets-file.js';

// Routing is pure: labels select a runbook of the catalogue and a target of the targets file by exact
// name, and nothing else; anything else starts nothing and says why.
const table: RoutingTable = {
  runbooks: ['redis-connectivity', 'redis-permissions'],
  targets: ['cache', 'session-store'],
  rules: [
    { match: { alertname: 'RedisDown' }, runbook: 'redis-connectivity', targetLabel: 'redis_name' },
    {
      match: { alertname: 'CacheMemoryHigh', team: 'cache' },
      runbook: 'redis-connectivity',
      target: 'cache',
    },
  ],
};
const labels = (o: Record<string, string> = {}) => ({
  alertname: 'RedisBgsaveFailing',
  runbook: 'redis-permissions',
  target: 'cache',
  severity: 'critical',
  instance: 'redis://10.89.0.7:6379',
  ...o,
});

describe('routing an alert', () => {
  it('by its runbook and target labels', () => {
    expect(routeAlert(labels(), table)).toEqual({
      ok: true,
      runbookId: 'redis-permissions',
      targetName: 'cache',
      alertName: 'RedisBgsaveFailing',
      by: 'labels',
    });
  });

  it('names must be exact: case, spaces, prefixes and prototype names do not match', () => {
    for (const runbook of ['Redis-Permissions', 'redis-permissions ', 'redis', '__proto__', 'constructor'])
      expect(routeAlert(labels({ runbook }), table)).toMatchObject({ ok: false, reason: 'unknown-runbook' });
    for (const target of ['Cache', 'cache ', 'cach', '__proto__', 'toString', ''])
      expect(routeAlert(labels({ target }), table)).toMatchObject({ ok: false, reason: 'unknown-target' });
  });

  it('a runbook label without a target label is refused, not guessed', () => {
    const { target: _t, ...rest } = labels();
    expect(routeAlert(rest, table)).toEqual({
      ok: false,
      reason: 'no-target',
      detail: 'no target: the label target is missing',
    });
  });

  it('labels with shell metacharacters or control characters start nothing, whichever label holds them', () => {
    for (const bad of [
      'cache;reboot',
      '$(id)',
      '`id`',
      'a|b',
      'a&b',
      'a>b',
      "a'b",
      'a"b',
      'a\\b',
      'a\nb',
      'a*',
      '{x}',
      'a?',
      'a~b',
    ])
      for (const name of ['target', 'runbook', 'instance', 'job'])
        expect(routeAlert(labels({ [name]: bad }), table), `${name}=${bad}`).toMatchObject({
          ok: false,
          reason: 'unsafe-label',
        });
    expect(routeAlert({ ...labels(), 'bad-name': 'x' }, table)).toMatchObject({ reason: 'unsafe-label' });
    // Spaces, colons, slashes, dots and = are ordinary in label values.
    expect(routeAlert(labels({ team: 'site reliability', url: 'http://a/b=c' }), table).ok).toBe(true);
  });

  it('an alertname that could not be shown safely refuses the alert (it names the incident’s starter)', () => {
    const { alertname: _a, ...rest } = labels();
    expect(routeAlert(rest, table)).toMatchObject({ ok: false, reason: 'no-alertname' });
    expect(routeAlert(labels({ alertname: 'Redis down' }), table)).toMatchObject({ reason: 'no-alertname' });
    expect(routeAlert(labels({ alertname: 'x'.repeat(129) }), table)).toMatchObject({
      reason: 'no-alertname',
    });
  });

  it('without a runbook label, the first alerts: rule that matches every one of its labels', () => {
    const down = { alertname: 'RedisDown', redis_name: 'session-store', severity: 'critical' };
    expect(routeAlert(down, table)).toEqual({
      ok: true,
      runbookId: 'redis-connectivity',
      targetName: 'session-store',
      alertName: 'RedisDown',
      by: 0,
    });
    expect(routeAlert({ alertname: 'RedisDown', target: 'cache' }, table)).toEqual({
      ok: false,
      reason: 'no-target',
      detail: 'no target: the label redis_name is missing',
    });
    expect(routeAlert({ alertname: 'CacheMemoryHigh', team: 'cache' }, table)).toMatchObject({
      ok: true,
      targetName: 'cache',
      by: 1,
    });
    expect(routeAlert({ alertname: 'CacheMemoryHigh', team: 'other' }, table)).toMatchObject({
      ok: false,
      reason: 'no-route',
    });
    expect(routeAlert({ alertname: 'RedisDown', redis_name: 'nope' }, table)).toMatchObject({
      reason: 'unknown-target',
      detail: 'there is no target "nope" (from the label redis_name)',
    });
  });

  it('a rule naming a runbook the catalogue lacks starts nothing', () => {
    const t = { ...table, rules: [{ match: { alertname: 'X' }, runbook: 'gone', target: 'cache' }] };
    expect(routeAlert({ alertname: 'X' }, t)).toMatchObject({ ok: false, reason: 'unknown-runbook' });
  });
});

describe('alerts: rules in the targets file', () => {
  const file = (alerts: string) => `targets:
  cache:
    redis:
      docker: { container: qpp-redis }
${alerts}`;

  it('are read in order and handed to routing', () => {
    const r = parseTargets(
      file(`alerts:
  - match: { alertname: RedisDown }
    runbook: redis-connectivity
    targetLabel: redis_name
  - match: { alertname: CacheMemoryHigh, team: cache }
    runbook: redis-connectivity
    target: cache
`),
      'targets.yaml',
    );
    expect(r.ok && r.targets.alertRules()).toEqual([
      { match: { alertname: 'RedisDown' }, runbook: 'redis-connectivity', targetLabel: 'redis_name' },
      {
        match: { alertname: 'CacheMemoryHigh', team: 'cache' },
        runbook: 'redis-connectivity',
        target: 'cache',
      },
    ]);
    const none = parseTargets(file(''), 'targets.yaml');
    expect(none.ok && none.targets.alertRules()).toEqual([]);
  });

  it('refuses a rule with no label to match, a target not in the file, or both target and targetLabel', () => {
    const bad = [
      ['alerts.0.match', '  - { match: {}, runbook: redis-connectivity }'],
      ['alerts.0.target', '  - { match: { a: b }, runbook: redis-connectivity, target: nope }'],
      ['alerts.0', '  - { match: { a: b }, runbook: redis-connectivity, target: cache, targetLabel: t }'],
      ['alerts.0.runbook', '  - { match: { a: b }, runbook: "x; rm" }'],
      ['alerts.0.match', '  - { match: { "a-b": c }, runbook: redis-connectivity }'],
    ];
    for (const [where, rule] of bad) {
      const r = parseTargets(file(`alerts:\n${rule}\n`), 'targets.yaml');
      expect(r.ok, rule).toBe(false);
      if (!r.ok) expect(r.errors.join('\n'), rule).toContain(`targets.yaml: ${where}`);
    }
  });
});
