import { describe, expect, it } from 'vitest';
import { renderAction } from '../../src/runbooks/action.js';
import { parseAccount, parseUnitShow, sudoRefusal } from '../../src/runbooks/analyzers/systemd-unit.js';
import type { ExecResult, Facts, StepContext, TargetView } from '../../src/runbooks/index.js';
import { serviceUserFix, verifyLastSave } from '../../src/runbooks/library/permission-service-repair.js';
import { analyzeServiceUser, serviceUndo } from '../../src/runbooks/library/permission-service-steps.js';
import { loadRehearsal, replayRehearsal } from '../support/rehearsal-fixture.js';

// Seed 003's pure core: the cause (the service's user, not the directory) and the repair plan.
const res = (stdout: string, exitCode = 0, stderr = ''): ExecResult => ({
  exitCode,
  stdout,
  stderr,
  durationMs: 5,
  timedOut: false,
  unreachable: false,
  truncated: false,
});

const sshTarget = (redis: Partial<TargetView['redis']> = {}): TargetView => ({
  name: 'vm',
  kind: 'ssh',
  redis: {
    sshHost: '10.0.0.5',
    host: '127.0.0.1',
    port: 6379,
    hasPassword: false,
    unit: 'redis-server',
    ...redis,
  },
  clients: [],
});

// As the diagnosis of the lab's VM leaves them (recorded in the service-user-mismatch rehearsal).
const seedFacts: Facts = {
  'redis.uid': 1000,
  'redis.gid': 1000,
  'redis.userName': 'autobot',
  'redis.dir': '/var/lib/redis',
  'dir.user': 'redis',
  'dir.group': 'redis',
  'unit.user': 'autobot',
  'unit.group': 'autobot',
  'dropin.present': false,
  'dropin.previous': [],
  'owners.before': [
    'redis:redis /var/lib/redis',
    'autobot:autobot /var/lib/redis/dump.rdb',
    'autobot:autobot /var/lib/redis/temp-17297.rdb',
    'redis:redis /var/log/redis',
  ],
  'service.user': 'redis',
  'service.group': 'redis',
};
const ctx = (facts: Facts = seedFacts, redis: Partial<TargetView['redis']> = {}): StepContext => ({
  target: sshTarget({ dataDir: '/var/lib/redis', logDir: '/var/log/redis', ...redis }),
  facts,
});
const GETENT = 'redis:x:101:102::/var/lib/redis:/usr/sbin/nologin\nredis\n';
const codes = (a: ReturnType<typeof analyzeServiceUser>) => a.findings.map((f) => f.code);

describe('seed 003: the cause is the service user', () => {
  it('reads systemctl show as printed by systemd 252', () => {
    const show = parseUnitShow(
      [
        'MainPID=129',
        'ExecStart={ path=/usr/bin/redis-server ; argv[]=/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=129 ; code=(null) ; status=0/0 }',
        'User=autobot',
        'Group=autobot',
        'LoadState=loaded',
        'ActiveState=active',
        'FragmentPath=/lib/systemd/system/redis-server.service',
        'DropInPaths=/etc/systemd/system/redis-server.service.d/override.conf',
      ].join('\n'),
    );
    expect(show).toMatchObject({
      user: 'autobot',
      group: 'autobot',
      execStart: '/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no',
      dropIns: ['/etc/systemd/system/redis-server.service.d/override.conf'],
      mainPid: 129,
    });
    expect(parseUnitShow('Failed to connect to bus')).toBeNull();
    expect(parseAccount(GETENT)).toMatchObject({ user: 'redis', uid: 101, gid: 102, group: 'redis' });
  });

  it('declared serviceUser, Redis running as another user: the service runs as the wrong user', () => {
    const a = analyzeServiceUser(res(GETENT), ctx(seedFacts, { serviceUser: 'redis' }));
    expect(codes(a)).toEqual(['service-runs-as-other']);
    expect(a.findings[0]?.statement).toMatch(
      /runs as autobot, but its service user is redis \(serviceUser in the targets file\): the unit redis-server sets User=autobot/,
    );
    expect(a.facts).toMatchObject({ 'service.user': 'redis', 'service.group': 'redis', 'service.uid': 101 });
  });

  it("nothing declared, but the dir belongs to the distribution's redis user: the same cause", () => {
    const a = analyzeServiceUser(res(GETENT), ctx());
    expect(codes(a)).toEqual(['service-runs-as-other']);
    expect(a.findings[0]?.statement).toMatch(/the data directory belongs to the distribution's redis user/);
  });

  it('nothing declared and a dir of someone else: the service user is not judged (chown-host stays the repair)', () => {
    const a = analyzeServiceUser(res(GETENT), ctx({ ...seedFacts, 'dir.user': 'app', 'dir.group': 'app' }));
    expect(codes(a)).toEqual(['service-user-unknown']);
  });

  it('a declared user that does not exist is a finding of its own; Redis as that user is fine', () => {
    expect(codes(analyzeServiceUser(res('', 2), ctx(seedFacts, { serviceUser: 'valkey' })))).toEqual([
      'service-user-missing',
    ]);
    const ok = analyzeServiceUser(
      res(GETENT),
      ctx({ ...seedFacts, 'redis.userName': 'redis' }, { serviceUser: 'redis' }),
    );
    expect(codes(ok)).toEqual(['service-user-ok']);
  });

  it('sudo refusing is told apart from a failing command', () => {
    expect(sudoRefusal(res('', 1, 'sudo: a password is required\n'))).toBe('sudo: a password is required');
    expect(
      sudoRefusal(res('', 1, 'sudo: guest is not in the sudoers file.  This incident will be reported.\n')),
    ).toMatch(/not in the sudoers/);
    expect(sudoRefusal(res('', 1, 'stat: cannot stat /x: No such file or directory\n'))).toBeUndefined();
    expect(sudoRefusal(res('', 0, 'sudo: a password is required\n'))).toBeUndefined();
  });
});

describe('seed 003: the repair plan', () => {
  it('keeps the last save as the old user, then a drop-in, and hands dir, files and log dir to redis', () => {
    const plan = serviceUserFix(ctx())?.map((a) => renderAction(a, ctx().target));
    expect(plan).toEqual([
      'ssh 10.0.0.5 -- chown -R -h 1000:1000 /var/lib/redis/.',
      'ssh 10.0.0.5 -- install -d -m 0755 /etc/systemd/system/redis-server.service.d',
      `ssh 10.0.0.5 -- sh -c 'umask 022; printf "[Service]\\nUser=%s\\nGroup=%s\\n" "$1" "$2" >"$3"' sh redis redis /etc/systemd/system/redis-server.service.d/zz-runbook-bot-service-user.conf`,
      'ssh 10.0.0.5 -- systemctl daemon-reload',
      'ssh 10.0.0.5 -- systemctl stop -- redis-server',
      'ssh 10.0.0.5 -- chown -R -h redis:redis /var/lib/redis/.',
      'ssh 10.0.0.5 -- chown -R -h redis:redis /var/log/redis/.',
      'ssh 10.0.0.5 -- systemctl start -- redis-server',
    ]);
    // The drop-in's content is fixed; the names are arguments, never part of the script.
    const write = serviceUserFix(ctx())?.[2];
    expect(write?.kind === 'exec' && write.argv.slice(3)).toEqual([
      'sh',
      'redis',
      'redis',
      '/etc/systemd/system/redis-server.service.d/zz-runbook-bot-service-user.conf',
    ]);
  });

  it('with sudo: true every root step goes through sudo -n', () => {
    const c = ctx(seedFacts, { sudo: true });
    const plan = serviceUserFix(c)?.map((a) => renderAction(a, c.target)) ?? [];
    expect(plan.length).toBe(8);
    for (const line of plan) expect(line).toMatch(/^ssh 10\.0\.0\.5 -- sudo -n /);
  });

  it('proposes nothing when a name or the dir is not what it must be', () => {
    expect(serviceUserFix(ctx({ ...seedFacts, 'service.user': 'redis;reboot' }))).toBeNull();
    expect(serviceUserFix(ctx({ ...seedFacts, 'service.group': '-R' }))).toBeNull();
    expect(serviceUserFix(ctx(seedFacts, { unit: '--root=/' }))).toBeNull();
    expect(serviceUserFix(ctx(seedFacts, { dataDir: '/var/lib' }))).toBeNull();
    const { 'redis.uid': _, ...noUid } = seedFacts;
    expect(serviceUserFix(ctx(noUid))).toBeNull();
    // No log dir anywhere: the plan simply has no log dir chown.
    const noLog = serviceUserFix({ target: sshTarget({ dataDir: '/var/lib/redis' }), facts: seedFacts });
    expect(noLog?.length).toBe(7);
  });

  it('the undo restores what was read: no drop-in of ours, and each owner as it was', () => {
    expect(serviceUndo(ctx())).toBe(
      [
        'rm /etc/systemd/system/redis-server.service.d/zz-runbook-bot-service-user.conf (it did not exist before)',
        'systemctl daemon-reload',
        'systemctl stop redis-server',
        'chown -h redis:redis /var/lib/redis',
        'chown -h autobot:autobot /var/lib/redis/dump.rdb',
        'chown -h autobot:autobot /var/lib/redis/temp-17297.rdb',
        'chown -h redis:redis /var/log/redis',
        'systemctl start redis-server',
      ].join('; '),
    );
    const had = serviceUndo(
      ctx({ ...seedFacts, 'dropin.present': true, 'dropin.previous': ['[Service]', 'User=valkey'] }),
    );
    expect(had).toMatch(
      /^write back \S+zz-runbook-bot-service-user\.conf as it was \(\[Service\] \/ User=valkey\)/,
    );
  });
});

describe('seed 003 replayed, and the directory repair where it is right', () => {
  it('the recorded VM: cause service-user, and the card undo carries the recorded owners', () => {
    const { state } = replayRehearsal(loadRehearsal('service-user-mismatch.redis-permissions.json'));
    expect(state.cause).toBe('service-user');
    const card = Object.values(state.approvals)[0];
    expect(card?.risk).toBe('medium');
    expect(card?.undo).toContain('chown -h autobot:autobot /var/lib/redis/dump.rdb');
  });

  it('the same host with no serviceUser and a dir of another (non-package) user: chown to the running user', () => {
    const fx = loadRehearsal('service-user-mismatch.redis-permissions.json');
    const { serviceUser: _, ...redis } = fx.target.redis;
    const dataDir = fx.results['data-dir'];
    if (!dataDir) throw new Error('fixture without data-dir');
    const results = {
      ...fx.results,
      'data-dir': { ...dataDir, stdout: '1001 1001 755 app app /var/lib/redis\n' },
    };
    const { state } = replayRehearsal({ ...fx, target: { ...fx.target, redis }, results });
    expect(state.cause).toBe('owner-mismatch');
    expect(Object.values(state.approvals)[0]?.commands).toEqual([
      expect.stringMatching(/^ssh \S+ -- chown -R -h 1000:1000 \/var\/lib\/redis\/\.$/),
    ]);
  });
});

describe('seed 003: LASTSAVE after the repair', () => {
  const check = (facts: Facts, lines: string[]) =>
    verifyLastSave.check(res(`# Persistence\r\n${lines.join('\r\n')}\r\n`), ctx(facts));

  it('passes only once it moved past the value diagnosis read', () => {
    const facts = { ...seedFacts, 'persistence.lastSave': 1_800_000_000 };
    expect(check(facts, ['rdb_last_save_time:1800000000', 'rdb_saves:1']).passed).toBe(false);
    expect(check(facts, ['rdb_last_save_time:1800000009', 'rdb_saves:1']).passed).toBe(true);
    expect(check(facts, ['rdb_last_save_time:1800000009', 'rdb_saves:0']).passed).toBe(false);
  });

  it('without the diagnosis reading, only a save counted since the restart passes it', () => {
    const { 'persistence.lastSave': _, ...facts } = { ...seedFacts, 'persistence.lastSave': 0 };
    expect(check(facts, ['rdb_last_save_time:1800000009']).passed).toBe(false);
    expect(check(facts, ['rdb_last_save_time:1800000009', 'rdb_saves:0']).passed).toBe(false);
    const r = check(facts, ['rdb_last_save_time:1800000009', 'rdb_saves:2']);
    expect(r.passed).toBe(true);
    expect(r.statement).toBe('LASTSAVE 1800000009, after unread in diagnosis');
  });
});
