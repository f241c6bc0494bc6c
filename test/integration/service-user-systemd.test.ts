import { afterEach, describe, expect, it } from 'vitest';
import { SshExecutor } from '../../src/executors/ssh-executor.js';
import type { RunState } from '../../src/runbooks/index.js';
import { targetConfigSchema } from '../../src/runbooks/target.js';
import { type LabRun, runOnScenario } from '../support/lab-run.js';

// Seed 003 against real systemd (PID 1 of a Podman container), through the real sshd and the real
// SSH executor: diagnosis, approval, the repair on the unit, and then the VM itself is read (ps,
// /proc, stat), not the bot's opinion of it.
const approveAll = () => ({ decision: 'approve' as const, by: 'U_APPROVER' });

let current: LabRun | undefined;
afterEach(async () => {
  await current?.executor.close();
  await current?.scenario.teardown();
  current = undefined;
});

async function inVm(argv: string[]): Promise<string> {
  const exec = current?.scenario.vmExec;
  if (!exec) throw new Error('not a VM scenario');
  const r = await exec(argv);
  return `${r.stdout}${r.stderr}`.trim();
}

const findings = (s: RunState) =>
  Object.values(s.steps).flatMap((r) => (r.kind === 'diagnose' ? (r.findings ?? []) : []));

/** From the run's own clock (its start, after the scenario was built): cause known, repair verified. */
function timings(s: RunState): { cause: number; verified: number } {
  const last = (p: (r: RunState['steps'][string]) => boolean) =>
    Math.max(
      ...Object.values(s.steps)
        .filter(p)
        .map((r) => r.finishedAt ?? 0),
    );
  return {
    cause: last((r) => r.kind === 'diagnose' && r.round === 1) - s.startedAt,
    verified: last((r) => r.kind === 'verify') - s.startedAt,
  };
}

describe('seed 003 on real systemd', () => {
  for (const name of ['service-user-mismatch', 'service-user-sudo'] as const) {
    it(`${name}: the unit gets User=redis by a drop-in, the files go to redis, Redis persists as redis`, async () => {
      current = await runOnScenario(name, 'redis-permissions', { decide: approveAll });
      const s = current.state;
      expect(targetConfigSchema.parse(current.scenario.target)).toEqual(current.scenario.target);
      expect(s.cause).toBe('service-user');
      expect(findings(s).map((f) => f.code)).toEqual(
        expect.arrayContaining(['service-runs-as-other', 'unit-read', 'owner-mismatch']),
      );
      const card = Object.values(s.approvals)[0];
      expect(card?.gateId).toBe('approve-service-user');
      const sudo = name === 'service-user-sudo' ? 'sudo -n ' : '';
      expect(card?.commands).toContain(
        `ssh 127.0.0.1 -- ${sudo}sh -c 'umask 022; printf "[Service]\\nUser=%s\\nGroup=%s\\n" "$1" "$2" >"$3"' sh redis redis /etc/systemd/system/redis-server.service.d/zz-runbook-bot-service-user.conf`,
      );
      // The undo names what was there before: autobot's files, redis's dirs, no drop-in of ours.
      expect(card?.undo).toContain(
        'rm /etc/systemd/system/redis-server.service.d/zz-runbook-bot-service-user.conf',
      );
      expect(card?.undo).toContain('chown -h autobot:autobot /var/lib/redis/dump.rdb');
      expect(card?.undo).toContain('chown -h redis:redis /var/lib/redis;');
      expect(s.status).toBe('resolved');

      // The real process and the real files, read in the VM.
      const pid = await inVm(['systemctl', 'show', '-p', 'MainPID', '--value', 'redis-server']);
      expect(await inVm(['ps', '-o', 'user=,group=', '-p', pid])).toMatch(/^redis\s+redis$/);
      expect(await inVm(['stat', '-c', '%U:%G', `/proc/${pid}`])).toBe('redis:redis');
      expect(await inVm(['systemctl', 'show', '-p', 'User,Group', 'redis-server'])).toBe(
        'User=redis\nGroup=redis',
      );
      // The packaged unit is untouched; the drop-in that set autobot is still there, overridden.
      expect(await inVm(['grep', '-c', '^User=redis$', '/lib/systemd/system/redis-server.service'])).toBe(
        '1',
      );
      const owners = await inVm(['find', '/var/lib/redis', '/var/log/redis', '-printf', '%u:%g %p\\n']);
      expect(owners.split('\n').filter((l) => !l.startsWith('redis:redis '))).toEqual([]);
      expect(owners).toContain('redis:redis /var/lib/redis/dump.rdb');
      // Nothing written before the fault was lost: the last save as autobot kept it.
      expect((await current.scenario.redisCli(['GET', 'lab:before'])).stdout.trim()).toBe('kept');
      expect((await current.scenario.redisCli(['SET', 'after-repair', '1'])).stdout.trim()).toBe('OK');
      const t = timings(s);
      console.log(
        `figures: ${name}: root cause ${t.cause} ms, verified repair ${t.verified} ms (approval immediate)`,
      );
    });
  }

  it('service-user-sudo-refused: sudo is refused, said so, and nothing is changed', async () => {
    current = await runOnScenario('service-user-sudo-refused', 'redis-permissions', { decide: approveAll });
    const s = current?.state;
    if (!current || !s) throw new Error('no run');
    expect(s.status).toBe('inconclusive');
    expect(s.outcome?.summary).toMatch(/sudo refused \(sudo: a password is required\)/);
    const refused = findings(s).filter((f) => /sudo refused/.test(f.statement));
    // The journal, the data dir, the disk and the owners listing need root: each says why it is unread.
    expect(refused.length).toBeGreaterThanOrEqual(4);
    expect(s.outcome?.summary).not.toMatch(/connection lost/);
    expect(Object.keys(s.approvals)).toEqual([]);
    expect(await inVm(['ps', '-o', 'user=', '-C', 'redis-server'])).toBe('autobot');
    expect(await inVm(['stat', '-c', '%U', '/var/lib/redis'])).toBe('redis');
  });

  it('a command run through sudo is killed at its deadline, before the host-side timeout would', async () => {
    current = await runOnScenario('service-user-sudo', 'redis-permissions', {});
    const endpoint = current.scenario.target.redis.ssh;
    if (!endpoint) throw new Error('not an SSH target');
    const ex = new SshExecutor({ endpoint, redisPort: 6379, sudo: true });
    try {
      // The host's `timeout` would kill it at 3 s; the client's deadline is 2.1 s.
      const t0 = Date.now();
      const r = await ex.run(
        { kind: 'exec', place: { at: 'redis' }, argv: ['sleep', '417'], user: 'root' },
        { timeoutMs: 2100 },
      );
      expect(r.timedOut).toBe(true);
      const left = await inVm(['sh', '-c', 'pgrep -f "slee[p] 417" || true']);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(left).toBe('');
    } finally {
      await ex.close();
    }
  });

  it('refusals on a fresh connection, many at once: each keeps its exit status (none reads as connection lost)', async () => {
    current = await runOnScenario('service-user-sudo-refused', 'redis-permissions', {});
    const endpoint = current.scenario.target.redis.ssh;
    if (!endpoint) throw new Error('not an SSH target');
    // The exit status of a quick command could arrive in the same read as its channel's opening,
    // before the listener: seen as 10 of 30 lost before the fix.
    for (let round = 0; round < 5; round++) {
      const ex = new SshExecutor({ endpoint, redisPort: 6379, sudo: true });
      try {
        const rs = await Promise.all(
          Array.from({ length: 6 }, () =>
            ex.run(
              { kind: 'exec', place: { at: 'redis' }, argv: ['true'], user: 'root' },
              { timeoutMs: 10_000 },
            ),
          ),
        );
        expect(rs.map((r) => [r.exitCode, r.stderr.trim(), r.unreachable])).toEqual(
          rs.map(() => [1, 'sudo: a password is required', false]),
        );
      } finally {
        await ex.close();
      }
    }
  });
});
