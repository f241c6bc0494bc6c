import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderAction } from '../../src/runbooks/action.js';
import { parseAclSource, parseSourceCheck, SOURCE_CHECK } from '../../src/runbooks/analyzers/acl-source.js';
import { classifyReply } from '../../src/runbooks/analyzers/redis-reply.js';
import type { ExecResult, Finding, StepContext } from '../../src/runbooks/index.js';
import { targetConfigSchema, viewOfTarget } from '../../src/runbooks/index.js';
import { aclFileStep, aclUserStep } from '../../src/runbooks/library/acl-steps.js';
import { pingStep } from '../../src/runbooks/library/ping-step.js';
import { engineDriver } from '../support/engine-driver.js';
import { loadRehearsal, replayRehearsal } from '../support/rehearsal-fixture.js';

// Seed 002: "Redis ACL users were not properly loaded initially", "Redis secrets were not properly
// mounted in first attempt". Replies as redis-cli 7.0.15 prints them in the lab (no TTY).
const res = (stdout: string, stderr = '', exitCode: number | null = 0): ExecResult => ({
  exitCode,
  stdout,
  stderr,
  durationMs: 1,
  timedOut: false,
  unreachable: false,
  truncated: false,
});

const WRONGPASS = 'AUTH failed: WRONGPASS invalid username-password pair or user is disabled.';
const NOAUTH = 'NOAUTH Authentication required.';
const NOPERM = "NOPERM User app has no permissions to run the 'ping' command";

const target = (redis: Record<string, unknown>) =>
  viewOfTarget('cache', targetConfigSchema.parse({ redis: { docker: { container: 'r' }, ...redis } }));
const aclTarget = target({ username: 'app', passwordEnv: 'APP_PW' });
const ctx = (facts: StepContext['facts'] = {}, t = aclTarget): StepContext => ({ target: t, facts });
const codes = (fs: Finding[]) => fs.map((f) => f.code);

describe('the reply of an ACL refusal', () => {
  it.each([
    [
      'a refused AUTH, then the command run as the open default user',
      res('default\n', `${WRONGPASS}\n`),
      'wrongpass',
    ],
    ['a refused AUTH, then NOAUTH (default off)', res(`${NOAUTH}\n`, `${WRONGPASS}\n`), 'wrongpass'],
    ['no login at all, default off or with a password', res(`${NOAUTH}\n`), 'noauth'],
    ['a user lacking a command (7.x wording)', res(`${NOPERM}\n`), 'noperm'],
    [
      'a user lacking a command (6.x wording)',
      res("NOPERM this user has no permissions to run the 'ping' command\n"),
      'noperm',
    ],
  ])('%s', (_n, r, kind) => {
    expect(classifyReply(r).kind).toBe(kind);
  });
});

describe('PING gives each refusal its own code, beside auth-refused', () => {
  it.each([
    [res(`${NOAUTH}\n`), ['auth-refused', 'auth-noauth'], 'noauth'],
    [res('PONG\n', `${WRONGPASS}\n`), ['auth-refused', 'auth-wrongpass'], 'wrongpass'],
    [res(`${NOPERM}\n`), ['auth-noperm'], 'noperm'],
  ])('%j', (r, want, auth) => {
    const a = pingStep.analyze(r, ctx());
    expect(codes(a.findings)).toEqual(want);
    expect(a.facts?.['redis.auth']).toBe(auth);
    expect(a.facts?.['redis.acl']).toBe(true);
    expect(a.findings.at(-1)?.evidence).toContain('target: ACL user app, a password from passwordEnv');
  });

  it('a password-only target says it is no ACL target, so the ACL steps stay out of its way', () => {
    const a = pingStep.analyze(res('PONG\n'), ctx({}, target({})));
    expect(a.facts).toMatchObject({ 'redis.acl': false });
    expect(a.facts?.['redis.aclUser']).toBeUndefined();
  });
});

describe('ACL WHOAMI', () => {
  it('as the configured user: fine', () => {
    expect(codes(aclUserStep.analyze(res('app\n'), ctx()).findings)).toEqual(['acl-user-ok']);
  });
  it('let in as default after the user was refused: the default user is open', () => {
    const a = aclUserStep.analyze(res('default\n', `${WRONGPASS}\n`), ctx());
    expect(codes(a.findings)).toEqual(['default-user-open']);
    expect(a.facts).toMatchObject({ 'acl.whoami': 'default', 'acl.canRun': true });
  });
  it('refused, then NOAUTH: nobody gets in', () => {
    const a = aclUserStep.analyze(res(`${NOAUTH}\n`, `${WRONGPASS}\n`), ctx());
    expect(codes(a.findings)).toEqual(['default-user-off']);
    expect(a.facts).toMatchObject({ 'acl.defaultOff': true });
  });
});

const inspect = (o: Record<string, unknown>) =>
  JSON.stringify({
    Name: '/cache-redis-1',
    Path: 'redis-server',
    Config: { Image: 'redis:7', Env: ['REDIS_PASSWORD=hunter2'], Labels: {} },
    HostConfig: { NetworkMode: 'app_net', RestartPolicy: { Name: 'unless-stopped' } },
    Mounts: [{ Type: 'volume', Name: 'cache_data', Source: '/var/lib/x', Destination: '/data', RW: true }],
    ...o,
  });

describe('what the container names as its users and password', () => {
  it('an aclfile, a config file and a $(cat) secret; a recreate line with no secret in it', () => {
    const v = parseAclSource(
      inspect({
        Path: 'sh',
        Args: [
          '-c',
          'redis-server /etc/redis/redis.conf --requirepass "$(cat /run/secrets/redis_pw)" --aclfile /run/secrets/users.acl',
        ],
      }),
      ['/run/secrets/users.acl'],
    );
    expect(v?.sources).toEqual([
      { kind: 'conf', path: '/etc/redis/redis.conf' },
      { kind: 'aclfile', path: '/run/secrets/users.acl' },
      { kind: 'secret', path: '/run/secrets/redis_pw' },
    ]);
    expect(v?.recreate).toBe(
      "docker rm -f cache-redis-1 && docker run -d --name cache-redis-1 --network app_net --restart unless-stopped -v cache_data:/data -v '<host file for /run/secrets/users.acl>:/run/secrets/users.acl:ro' redis:7 sh -c 'redis-server /etc/redis/redis.conf --requirepass \"$(cat /run/secrets/redis_pw)\" --aclfile /run/secrets/users.acl'",
    );
    expect(v?.recreate).not.toContain('hunter2');
  });

  it('a password on the command line is never part of the command shown', () => {
    const v = parseAclSource(
      inspect({ Args: ['--requirepass', 's3cret-pw', '--aclfile', '/etc/redis/users.acl'] }),
    );
    expect(v?.recreate).toContain('--requirepass');
    expect(v?.recreate).not.toContain('s3cret-pw');
    expect(v?.argv.join(' ')).not.toContain('s3cret-pw');
  });

  it('podman says bridge for a named network: the network names decide --network', () => {
    const v = parseAclSource(
      inspect({
        Args: ['--aclfile', '/run/secrets/users.acl'],
        HostConfig: { NetworkMode: 'bridge' },
        NetworkSettings: { Networks: { app_net: {} } },
        Config: { Image: 'redis:7', Cmd: ['redis-server', '--aclfile', '/run/secrets/users.acl'] },
      }),
    );
    expect(v?.recreate).toBe(
      // The aclfile is under no mount: its host source is the one thing the container does not record.
      "docker rm -f cache-redis-1 && docker run -d --name cache-redis-1 --network app_net -v cache_data:/data -v '<host file for /run/secrets/users.acl>:/run/secrets/users.acl:ro' redis:7 redis-server --aclfile /run/secrets/users.acl",
    );
  });

  it('a compose container is recreated through compose, with its project and files', () => {
    const v = parseAclSource(
      inspect({
        Args: ['--aclfile', '/run/secrets/users.acl'],
        Config: {
          Image: 'redis:7',
          Labels: {
            'com.docker.compose.project': 'ai_workflow_engine',
            'com.docker.compose.service': 'redis',
            'com.docker.compose.project.working_dir': '/srv/app',
            'com.docker.compose.project.config_files': '/srv/app/docker-compose.yml',
          },
        },
      }),
    );
    expect(v?.recreate).toBe(
      'docker compose --project-directory /srv/app -f /srv/app/docker-compose.yml -p ai_workflow_engine up -d --force-recreate redis',
    );
  });

  it('the check, run by a real sh: follows the config file to its aclfile, prints names, never rules', () => {
    const d = mkdtempSync(join(tmpdir(), 'acl-check-'));
    writeFileSync(
      join(d, 'users.acl'),
      'user default off\nuser app on #4e1243bd22c66e76c2ba9eddc1f91394e57f9f83 ~* +@all\n',
    );
    writeFileSync(join(d, 'redis.conf'), `port 6379\nrequirepass s3cret\naclfile "${d}/users.acl"\n`);
    const out = execFileSync(
      'sh',
      ['-c', SOURCE_CHECK, 'sh', `conf:${d}/redis.conf`, 'secret:/run/secrets/none'],
      {
        encoding: 'utf8',
      },
    );
    expect(out).not.toMatch(/s3cret|4e1243bd|\+@all/);
    expect(parseSourceCheck(out)).toEqual({
      present: [
        { kind: 'conf', path: `${d}/redis.conf` },
        { kind: 'aclfile', path: `${d}/users.acl` },
      ],
      missing: [{ kind: 'secret', path: '/run/secrets/none' }],
      users: ['default', 'app'],
    });
  });

  it('the check prints names only, and a missing file says so', () => {
    expect(
      parseSourceCheck('present aclfile /a.acl\nuser default\nuser app\nmissing secret /run/secrets/pw\n'),
    ).toEqual({
      present: [{ kind: 'aclfile', path: '/a.acl' }],
      missing: [{ kind: 'secret', path: '/run/secrets/pw' }],
      users: ['default', 'app'],
    });
    expect(parseSourceCheck('sh: not found\n')).toBeNull();
  });
});

describe('the conclusion of the file check', () => {
  const refused = { 'redis.auth': 'wrongpass', 'redis.aclUser': 'app' };
  it('a missing file: secrets not mounted, with the recreate command as evidence', () => {
    const a = aclFileStep.analyze(
      res('missing aclfile /run/secrets/users.acl\n'),
      ctx({ 'acl.recreate': 'docker compose -p p up -d --force-recreate redis' }),
    );
    expect(codes(a.findings)).toEqual(['secret-not-mounted']);
    expect(a.findings[0]?.evidence).toContain(
      'recreate it with its mounts: docker compose -p p up -d --force-recreate redis',
    );
  });
  it('the file defines the user and Redis has only default, which may run ACL LOAD', () => {
    const a = aclFileStep.analyze(
      res('present aclfile /a.acl\nuser default\nuser app\n'),
      ctx({ ...refused, 'acl.loadedUsers': ['default'], 'acl.canRun': true }),
    );
    expect(codes(a.findings)).toEqual(['acl-users-not-loaded']);
    expect(a.facts).toEqual({ 'acl.loadable': true });
  });
  it('default off and nobody loaded: not loadable, and the restart that reloads the file is named', () => {
    const a = aclFileStep.analyze(
      res('present aclfile /a.acl\nuser default\nuser app\n'),
      ctx({ ...refused, 'acl.defaultOff': true }),
    );
    expect(a.facts).toEqual({ 'acl.loadable': false });
    expect(a.findings[0]?.evidence.at(-1)).toMatch(/docker restart r$/);
  });
  it('a file that does not define the user: not a loading problem', () => {
    const a = aclFileStep.analyze(
      res('present aclfile /a.acl\nuser default\nuser ops\n'),
      ctx({ ...refused, 'acl.loadedUsers': ['default', 'ops'] }),
    );
    expect(codes(a.findings)).toEqual(['acl-user-not-in-file']);
  });
});

describe('targets name an ACL user', () => {
  it('the schema takes a name and refuses what could pass for an option or hold a space', () => {
    expect(aclTarget.redis.username).toBe('app');
    const entry = (username: string, withPassword = true) =>
      targetConfigSchema.safeParse({
        redis: { docker: { container: 'r' }, username, ...(withPassword ? { passwordEnv: 'APP_PW' } : {}) },
      }).success;
    expect(entry('lwe-app')).toBe(true);
    expect(entry('x'.repeat(64))).toBe(true);
    for (const bad of ['-x', 'a b', 'x'.repeat(65), '', 'app;rm']) expect(entry(bad)).toBe(false);
    // Without a password redis-cli would not log in as the user at all: it would act as default.
    expect(entry('app', false)).toBe(false);
  });
  it('every redis-cli shown carries --user, and never a password', () => {
    const shown = renderAction({ kind: 'redis', place: { at: 'redis' }, args: ['ACL', 'LOAD'] }, aclTarget);
    expect(shown).toBe('docker exec r redis-cli -h 127.0.0.1 -p 6379 --user app ACL LOAD');
  });
});

describe('the lab recordings of seed 002, replayed', () => {
  const replay = (name: string) => replayRehearsal(loadRehearsal(`${name}.redis-connectivity.json`)).state;
  it('acl-only: healthy, reached as the ACL user', () => {
    const s = replay('acl-only');
    expect(s.status).toBe('no-fault');
    expect(s.steps['acl-user']?.findings.map((f) => f.code)).toEqual(['acl-user-ok']);
    expect(s.steps.ping?.commands[0]).toMatch(/--user app PING$/);
  });
  it('acl-not-loaded: ACL LOAD proposed, nothing else', () => {
    const s = replay('acl-not-loaded');
    expect(s.cause).toBe('acl-not-loaded');
    const approvals = Object.values(s.approvals);
    expect(approvals.map((a) => a.gateId)).toEqual(['approve-acl-load']);
    expect(approvals[0]?.commands).toEqual([
      expect.stringMatching(/redis-cli -h 127\.0\.0\.1 -p 6379 --user app ACL LOAD$/),
    ]);
  });
  it('the same Redis with its default user off: nobody may run ACL LOAD, so escalated with the restart', () => {
    const fx = loadRehearsal('acl-not-loaded.redis-connectivity.json');
    // As it would be with `user default off` loaded: every refused login ends in NOAUTH.
    const refused = res(`${NOAUTH}\n`, `${WRONGPASS}\n`);
    const s = engineDriver(fx.runbook, {
      target: fx.target,
      answer: (_id, _round, key) => {
        const r = fx.results[key];
        return !r || r.stderr.includes('AUTH failed') ? refused : r;
      },
    }).run().state;
    expect(s.cause).toBe('acl-not-loaded');
    expect(s.status).toBe('escalated');
    expect(s.approvals).toEqual({});
    expect(s.steps['acl-users']?.status).toBe('skipped');
    const ev = s.steps['acl-file']?.findings.flatMap((f) => f.evidence) ?? [];
    expect(ev.at(-1)).toMatch(/Redis reads the file at start: docker compose .* -p \S+ restart redis$/);
  });

  it('aclfile-missing: escalated, the compose command to recreate it in the evidence', () => {
    const s = replay('aclfile-missing');
    expect(s.status).toBe('escalated');
    expect(s.cause).toBe('secrets-not-mounted');
    expect(s.approvals).toEqual({});
    const ev = s.steps['acl-file']?.findings.flatMap((f) => f.evidence) ?? [];
    expect(ev.join('\n')).toMatch(
      /recreate it with its mounts: docker compose .* up -d --force-recreate redis$/m,
    );
  });
});

describe('the recreate command never carries an ACL password', () => {
  it('a --user rule with >password in the container command is shown without it', () => {
    const cmd = [
      'redis-server',
      '--user',
      'app on >s3cretpw ~* +@all',
      '--aclfile',
      '/run/secrets/users.acl',
    ];
    const inspect = JSON.stringify([
      { Path: 'redis-server', Args: cmd.slice(1), Config: { Cmd: cmd, Labels: {} }, Mounts: [], Name: '/r' },
    ]);
    const view = parseAclSource(inspect, ['/run/secrets/users.acl']);
    expect(view?.recreate).toBeDefined();
    expect(view?.recreate).not.toContain('s3cretpw');
    expect(view?.recreate).toContain("--user 'app on ><secret> ~* +@all'");
  });
});
