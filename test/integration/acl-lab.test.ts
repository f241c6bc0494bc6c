import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { labDocker } from '@runbook-bot/lab';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunState } from '../../src/runbooks/index.js';
import { targetConfigSchema } from '../../src/runbooks/target.js';
import { type LabRun, labEnv, runAgainst, runOnScenario } from '../support/lab-run.js';

// Seed 002's ACL parts for real (tools/lab/src/acl-scenarios.ts): an ACL-only Redis reached as its
// app user, users not loaded (ACL LOAD under approval, verified as the app user), and the aclfile's
// secret not mounted (escalated with the exact command, which is then carried out and checked).
const approveAll = () => ({ decision: 'approve' as const, by: 'U_APPROVER' });

let current: LabRun | undefined;
afterEach(async () => {
  await current?.executor.close();
  await current?.scenario.teardown();
  current = undefined;
});

/** redis-cli on the real target; with `asApp` as the app user (--user app, REDISCLI_AUTH). */
const cli = async (args: string[], opts: { from?: 'redis' | 'client'; asApp?: boolean } = {}) => {
  if (!current) throw new Error('no scenario');
  const password = opts.asApp ? current.scenario.redisPassword : undefined;
  const out = await current.scenario.redisCli(args, {
    ...(opts.from ? { from: opts.from } : {}),
    ...(password ? { password } : {}),
  });
  return `${out.stdout}${out.stderr}`.trim();
};
/** The scenario's targets-file entry is one the product accepts as it is: `username` included. */
const entryChecked = (run: LabRun) => {
  expect(targetConfigSchema.parse(run.scenario.target)).toEqual(run.scenario.target);
  expect(run.scenario.target.redis.username).toBe('app');
  return run.state;
};
const codes = (s: RunState) => Object.values(s.steps).flatMap((r) => r.findings.map((f) => f.code));
const decisions = (s: RunState) => Object.values(s.approvals).map((a) => `${a.gateId}:${a.status}`);

describe('seed 002: ACL users and secrets, against the real lab', () => {
  it('acl-only: healthy, every probe made as the ACL user', async () => {
    current = await runOnScenario('acl-only', 'redis-connectivity', { decide: approveAll });
    entryChecked(current);
    expect(current.state.status).toBe('no-fault');
    expect(current.state.approvals).toEqual({});
    expect(codes(current.state)).toContain('acl-user-ok');
    const redisCalls = Object.values(current.state.steps).flatMap((r) =>
      r.commands.filter((c) => c.includes('redis-cli')),
    );
    expect(redisCalls.length).toBeGreaterThan(5);
    for (const c of redisCalls) expect(c).toMatch(/ --user app /);
    // Really ACL-only: without the app user's login Redis lets nobody in.
    expect(await cli(['PING'], { from: 'client' })).toMatch(/^NOAUTH/);
    expect(await cli(['ACL', 'WHOAMI'], { from: 'client', asApp: true })).toBe('app');
  });

  it('acl-not-loaded: ACL LOAD under approval, then the app user authenticates and gets PONG', async () => {
    current = await runOnScenario('acl-not-loaded', 'redis-connectivity', { decide: approveAll });
    entryChecked(current);
    expect(current.state.cause).toBe('acl-not-loaded');
    expect(decisions(current.state)).toEqual(['approve-acl-load:approved']);
    expect(Object.values(current.state.approvals)[0]?.commands).toEqual([
      expect.stringMatching(/ redis-cli -h 127\.0\.0\.1 -p 6379 --user app ACL LOAD$/),
    ]);
    expect(codes(current.state)).toEqual(
      expect.arrayContaining(['auth-wrongpass', 'default-user-open', 'acl-users-not-loaded']),
    );
    expect(current.state.status).toBe('resolved');
    // The target itself: the app's own client authenticates, and the default user is off as the file says.
    expect(await cli(['PING'], { from: 'client', asApp: true })).toBe('PONG');
    expect(await cli(['ACL', 'WHOAMI'], { asApp: true })).toBe('app');
    expect(await cli(['PING'], { from: 'client' })).toMatch(/^NOAUTH/);
  });

  it('aclfile-missing: escalated with the exact recreate command, which brings Redis back with its users', async () => {
    current = await runOnScenario('aclfile-missing', 'redis-connectivity', { decide: approveAll });
    const s = entryChecked(current);
    expect(s.status).toBe('escalated');
    expect(s.cause).toBe('secrets-not-mounted');
    expect(s.approvals).toEqual({});
    expect(Object.values(s.steps).some((r) => r.kind === 'repair')).toBe(false);

    const docker = labDocker(labEnv());
    const redis = current.scenario.target.redis.docker?.container ?? '';
    const info = await docker.getContainer(redis).inspect();
    const labels = info.Config.Labels;
    const file = labels['com.docker.compose.project.config_files'] ?? '';
    const evidence = Object.values(s.steps).flatMap((r) => r.findings.flatMap((f) => f.evidence));
    expect(evidence).toContain(
      `recreate it with its mounts: docker compose --project-directory ${dirname(file)} -f ${file} -p ${labels['com.docker.compose.project']} up -d --force-recreate redis`,
    );
    expect(evidence).toContain('missing aclfile /run/secrets/redis-users.acl');
    expect(evidence.join('\n')).not.toContain(current.scenario.redisPassword ?? '<none>');

    // What the command does, done here through the engine API (no compose on the lab machine): the
    // container again from its definition, with the secret the compose file declares mounted.
    const compose = readFileSync(file, 'utf8');
    expect(compose).toMatch(/secrets: \[redis-users\.acl\][\s\S]*file: \.\/redis-users\.acl/);
    await docker.getContainer(redis).remove({ force: true });
    const again = await docker.createContainer({
      name: redis,
      Image: info.Config.Image,
      Cmd: info.Config.Cmd,
      Labels: labels,
      StopTimeout: 1,
      HostConfig: {
        NetworkMode: Object.keys(info.NetworkSettings.Networks)[0] ?? '',
        Binds: [`${join(dirname(file), 'redis-users.acl')}:/run/secrets/redis-users.acl:ro`],
      },
    });
    await again.start();
    let pong = '';
    for (let i = 0; i < 50 && pong !== 'PONG'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      pong = await cli(['PING'], { asApp: true });
    }
    expect(pong).toBe('PONG');
    const after = await runAgainst(current.scenario, current.executor, 'redis-connectivity', {
      decide: approveAll,
      runId: 'INC-LAB-2',
    });
    expect(after.status).toBe('no-fault');
    expect(await cli(['PING'], { from: 'client', asApp: true })).toBe('PONG');
  });
});
