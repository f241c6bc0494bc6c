import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The built CLI, as an operator runs it.
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });

describe('node dist/cli.js', () => {
  it('serve with a bad configuration exits 2, names each variable, and never echoes a value', () => {
    const r = run(['serve'], {
      SLACK_BOT_TOKEN: 'not-a-token-s3cret',
      APPROVAL_TTL: 'soon',
      REDIS_URL: 'http://user:pw-s3cret@x',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/invalid configuration, nothing started/);
    for (const name of ['SLACK_BOT_TOKEN', 'APPROVAL_TTL', 'REDIS_URL', 'SLACK_SIGNING_SECRET'])
      expect(r.stderr).toContain(`${name}:`);
    expect(r.stderr).not.toMatch(/s3cret/);
  });

  it('serve --role worker needs no Slack settings, but does need a readable targets file', () => {
    const r = run(['serve', '--role', 'worker'], { TARGETS_FILE: '/nonexistent/targets.yaml' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('TARGETS_FILE: cannot read /nonexistent/targets.yaml');
    expect(r.stderr).not.toContain('SLACK');
  });

  it('runbooks lists both runbooks with their steps and repairs; --check validates them', () => {
    const r = run(['runbooks']);
    expect(r.status).toBe(0);
    for (const s of [
      'redis-connectivity:',
      'redis-permissions:',
      'chown -R',
      'docker network connect',
      'Verification',
    ])
      expect(r.stdout).toContain(s);
    expect(run(['runbooks', '--check']).stdout).toBe('2 runbooks valid\n');
  });

  it('an unknown command exits 2 with the usage; demo and lab are tools, not product commands', () => {
    const r = run(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    for (const tool of ['demo', 'lab']) expect(run([tool]).stderr).toContain(`unknown command "${tool}"`);
  });

  it('the package holds the built product only: no lab, local Slack, demo, tests or sources', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--workspaces=false'], {
      cwd: resolve(import.meta.dirname, '../..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const [pack] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
    const paths = (pack?.files ?? []).map((f) => f.path);
    expect(paths).toContain('dist/cli.js');
    expect(paths).toContain('dist/runbooks/library/index.js');
    const strays = paths.filter(
      (p) => !/^(dist\/|package\.json$|README\.md$|LICENSE)/.test(p) || /lab|local-slack|demo/.test(p),
    );
    expect(strays).toEqual([]);
  });
});
