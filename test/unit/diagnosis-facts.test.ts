import { describe, expect, it } from 'vitest';
import { parseId, writeAccess } from '../../src/runbooks/analyzers/file-owner.js';
import type { StepContext } from '../../src/runbooks/index.js';
import { preconditionProbe, start } from '../../src/runbooks/index.js';
import { clientNetworkStep, clientPingStep } from '../../src/runbooks/library/client-steps.js';
import { containerStep, logsStep } from '../../src/runbooks/library/common-steps.js';
import { analyzeDisk } from '../../src/runbooks/library/disk-step.js';
import { isSafeDataDir } from '../../src/runbooks/library/facts.js';
import { analyzeDataDir, processOwnerStep } from '../../src/runbooks/library/permission-steps.js';
import { pingStep } from '../../src/runbooks/library/ping-step.js';
import { redisPermissions } from '../../src/runbooks/library/redis-permissions.js';
import { res, toyTarget } from '../support/toy-runbook.js';

const ctx = (facts: StepContext['facts'] = {}, item?: string): StepContext =>
  item === undefined ? { target: toyTarget, facts } : { target: toyTarget, facts, item };
const codes = (a: { findings: { code: string }[] }) => a.findings.map((f) => f.code);

describe('write access: the class the kernel applies', () => {
  const dir = { uid: 1001, gid: 1001, mode: 0o775, user: 'app', group: 'app', path: '/data' };
  it.each([
    ['the owner with rwx', { ...dir, uid: 999 }, 999, 999, [], true, 'owner'],
    ['a stranger over 0755', { ...dir, mode: 0o755 }, 999, 999, [], false, 'other'],
    ['the primary group over 0775', dir, 999, 1001, [], true, 'group'],
    ['a supplementary group over 0775', dir, 999, 999, [999, 1001], true, 'group'],
    ['a supplementary group over 0755', { ...dir, mode: 0o755 }, 999, 999, [1001], false, 'group'],
    [
      'the owner without w, even if the group has it',
      { ...dir, uid: 999, mode: 0o575 },
      999,
      1001,
      [1001],
      false,
      'owner',
    ],
    ['root', { ...dir, mode: 0o700 }, 0, 0, [], true, 'root'],
  ] as const)('%s', (_n, d, uid, gid, groups, canWrite, via) => {
    expect(writeAccess(d, uid, gid, groups)).toEqual({ canWrite, via });
  });

  it('reads supplementary groups from id and from /proc/<pid>/status', () => {
    expect(parseId('uid=999(redis) gid=999(redis) groups=999(redis),1001')).toEqual({
      uid: 999,
      gid: 999,
      user: 'redis',
      groups: [999, 1001],
    });
    const a = processOwnerStep.analyze(res('999 999 redis redis\nGroups:\t999 1001 \n'), ctx());
    expect(a.facts?.['redis.groups']).toEqual(['999', '1001']);
  });

  it('a group-writable dir whose group Redis is in is fine: no owner-mismatch', () => {
    const a = analyzeDataDir(
      res('1001 1001 775 app app /data\n'),
      ctx({ 'redis.uid': 999, 'redis.gid': 999, 'redis.groups': ['999', '1001'] }),
    );
    expect(codes(a)).toEqual(['data-dir-ok']);
  });

  it('without the user Redis runs as, the data dir cannot be judged: unread, not ok', () => {
    const a = analyzeDataDir(res('0 0 755 root root /data\n'), ctx());
    expect(a.unread).toMatch(/user Redis runs as is unknown/);
    expect(a.findings[0]?.severity).toBe('unknown');
  });
});

describe('disk: free bytes and inodes, mounts by path components', () => {
  const mounts = '/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /data ext4 rw 0 0\n/dev/sdc1 /data-old ext4 ro 0 0\n';
  const df = (availKb: number, pct: number, mp = '/data') =>
    `Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sdb1 10000000000 9900000000 ${availKb} ${pct}% ${mp}\n`;
  const inodes = (free: number) =>
    `Filesystem Inodes IUsed IFree IUse% Mounted on\n/dev/sdb1 1000000 ${1000000 - free} ${free} 99% /data\n`;
  const out = (d: string, i: string) => res(`${d}---inodes---\n${i}---mounts---\n${mounts}`);

  it('99 % used with 100 GiB free is not full', () => {
    const a = analyzeDisk(out(df(100 * 1024 * 1024, 99), inodes(5000)), ctx({ 'redis.dir': '/data' }));
    expect(codes(a)).toEqual(['disk-low']);
  });
  it('a few MiB free is full, whatever the percentage', () => {
    expect(codes(analyzeDisk(out(df(4096, 60), inodes(5000)), ctx({ 'redis.dir': '/data' })))).toEqual([
      'disk-full',
    ]);
  });
  it('no free inodes is full', () => {
    const a = analyzeDisk(out(df(50 * 1024 * 1024, 40), inodes(0)), ctx({ 'redis.dir': '/data' }));
    expect(a.findings[0]?.statement).toMatch(/no free inodes/);
  });
  it('/data is not on the read-only /data-old mount: the mount is the one df names', () => {
    const old = analyzeDisk(
      out(df(50 * 1024 * 1024, 40, '/data-old'), inodes(5000)),
      ctx({ 'redis.dir': '/data-old/x' }),
    );
    expect(codes(old)).toEqual(['read-only-fs']);
    expect(
      codes(analyzeDisk(out(df(50 * 1024 * 1024, 40), inodes(5000)), ctx({ 'redis.dir': '/data' }))),
    ).toEqual(['disk-ok']);
  });
  it('no /proc/mounts line for the mount df names (cut off): unread, never read-write', () => {
    const cut = res(`${df(50 * 1024 * 1024, 40)}---\n${inodes(5000)}---\n/dev/sda1 / ext4 rw 0 0\n`, {
      truncated: true,
    });
    expect(analyzeDisk(cut, ctx({ 'redis.dir': '/data' })).unread).toMatch(/cut/);
    const missing = res(
      `${df(50 * 1024 * 1024, 40)}---inodes---\n${inodes(5000)}---mounts---\n/dev/sda1 / ext4 rw 0 0\n`,
    );
    expect(analyzeDisk(missing, ctx({ 'redis.dir': '/data' })).unread).toMatch(
      /no \/proc\/mounts line for \/data/,
    );
  });
  it('no df output: unread, never ok', () => {
    const a = analyzeDisk(res('', { exitCode: 127, stderr: 'sh: df: not found' }), ctx());
    expect(a.unread).toBeDefined();
  });
});

describe('system directories are refused with everything below them', () => {
  it.each([
    ['/', false],
    ['/usr', false],
    ['/usr/local/lib/redis', false],
    ['/etc/redis', false],
    ['/boot/x', false],
    ['/root/redis', false],
    ['/var/lib/docker/volumes/x/_data', false],
    ['/var/lib', false],
    ['/home', false],
    ['/data/../etc', false],
    ['/data', true],
    ['/var/lib/redis', true],
    ['/home/app/redis', true],
    ['/srv/redis/data', true],
  ] as const)('%s → %s', (path, ok) => {
    expect(isSafeDataDir(path)).toBe(ok);
  });
});

describe('probes that could not read are blind spots, not health', () => {
  const unreadOf = (a: { unread?: string; findings: { severity: string }[] }) => {
    expect(a.findings.some((f) => f.severity === 'unknown')).toBe(true);
    return a.unread;
  };
  it('a container that does not exist is a reading (container-missing); an engine that does not answer is not', () => {
    expect(
      codes(
        containerStep.analyze(
          // What the Docker executor returns for a 404 from the engine.
          res('', { exitCode: null, unreachable: true, error: 'no such container: qpp-redis' }),
          ctx(),
        ),
      ),
    ).toEqual(['container-missing']);
    const down = containerStep.analyze(
      res('', { exitCode: null, unreachable: true, error: 'container engine unreachable (ENOENT)' }),
      ctx(),
    );
    expect(unreadOf(down)).toMatch(/engine unreachable \(ENOENT\)/);
  });

  it("PING that never returns from Redis's own host: Redis does not answer (a reading)", () => {
    const frozen = pingStep.analyze(res('', { exitCode: null, timedOut: true, durationMs: 5000 }), ctx());
    expect(codes(frozen)).toEqual(['redis-unresponsive']);
    const ssh = pingStep.analyze(
      res('', { exitCode: null, unreachable: true, timedOut: true, error: 'timed out while connecting' }),
      ctx(),
    );
    expect(unreadOf(ssh)).toMatch(/could not be reached/);
  });

  it.each([
    ['LOADING Redis is loading the dataset in memory', 'redis-loading'],
    ['BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.', 'redis-busy'],
    ["MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.", 'master-down'],
  ])('PING → %s', (line, code) => {
    expect(codes(pingStep.analyze(res(`${line}\n`, { exitCode: 1 }), ctx()))).toEqual([code]);
  });

  it.each([
    ["NOPERM this user has no permissions to run the 'ping' command", /may not run it/],
    ["timeout: can't execute 'redis-cli': No such file or directory", /not installed/],
  ])('client PING → %s is unread', (line, why) => {
    expect(
      unreadOf(clientPingStep.analyze(res('', { exitCode: 127, stderr: line }), ctx({}, 'api'))),
    ).toMatch(why);
  });

  it.each([
    ['Could not connect to Redis at qpp-redis:6379: Try again', 'client-dns-failure'],
    ['Could not connect to Redis at qpp-redis:6379: Name does not resolve', 'client-dns-failure'],
    [
      'Could not connect to Redis at qpp-redis:6379: Temporary failure in name resolution',
      'client-dns-failure',
    ],
    ['Could not connect to Redis at 10.89.0.3:6379: Network is unreachable', 'client-tcp-failure'],
    ['Could not connect to Redis at 10.89.0.3:6379: Connection refused', 'client-tcp-failure'],
  ])('client PING → %s', (line, code) => {
    expect(codes(clientPingStep.analyze(res('', { exitCode: 1, stderr: line }), ctx({}, 'api')))).toEqual([
      code,
    ]);
  });

  it("a client network check without Redis's networks (its inspect failed) is unread", () => {
    const inspect = JSON.stringify([
      { State: { Running: true, Status: 'running' }, NetworkSettings: { Networks: { front: {} } } },
    ]);
    expect(unreadOf(clientNetworkStep.analyze(res(inspect), ctx({}, 'api')))).toMatch(
      /could not be inspected/,
    );
  });

  it('logs the engine cannot give are unread; a line from an earlier run is history, never a cause', () => {
    expect(
      unreadOf(logsStep.analyze(res('', { exitCode: 1, stderr: 'Error: no such container' }), ctx())),
    ).toBeDefined();
    const old =
      '1:M 01 Dec 2026 20:00:00.000 # Failed opening the temp RDB file temp-7.rdb (in server root dir /data) for saving: Permission denied\n' +
      '1:C 01 Dec 2026 21:00:00.000 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo\n' +
      '1:M 01 Dec 2026 21:00:01.000 * Ready to accept connections tcp\n';
    expect(codes(logsStep.analyze(res(old), ctx()))).toEqual(['log-history']);
  });
});

describe('the precondition has three values', () => {
  const rb = redisPermissions;
  const base = start(
    rb,
    { runId: 'INC-P', target: toyTarget, startedBy: 'U', approvalTtlMs: 60_000 },
    0,
  ).state;
  const state = { ...base, facts: { 'redis.uid': 999, 'redis.gid': 999, 'redis.running': true } };
  const probe = preconditionProbe(rb, state, 'chown-running');

  it('fault still there → present; fixed → fixed meanwhile; unreadable → could not check', () => {
    if (!probe) throw new Error('no precondition');
    expect(probe.holds(res('1001 1001 755 app app /data\n')).verdict).toBe('present');
    expect(probe.holds(res('999 999 755 redis redis /data\n')).verdict).toBe('fixed-meanwhile');
    const blind = probe.holds(
      res('', { exitCode: null, unreachable: true, error: 'no such container: qpp-redis' }),
    );
    expect(blind.verdict).toBe('could-not-check');
    expect(blind.statement).not.toMatch(/no longer there/);
  });

  it('without the user Redis runs as, the precondition cannot tell, so it could not check', () => {
    const unknownUser = preconditionProbe(rb, base, 'chown-running');
    expect(unknownUser?.holds(res('1001 1001 755 app app /data\n')).verdict).toBe('could-not-check');
  });
});
