import { chown, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  containerLogs,
  containerState,
  execIn,
  findLeftovers,
  type LabScenario,
  labDocker,
  labEnvFrom,
  runHost,
  type ScenarioName,
  setupScenario,
  sshLoopback,
  tcpProbe,
  writeKnownHosts,
} from '@runbook-bot/lab';
import { afterAll, describe, expect, it } from 'vitest';
import { targetConfigSchema } from '../../src/runbooks/target.js';

// Each scenario is built for real (Podman through its Docker API, a host redis-server behind sshd),
// its fault is observed verbatim, then torn down, and nothing named with its prefix may be left.
const env = labEnvFrom(process.env);
const docker = labDocker(env);
const opened: LabScenario[] = [];

afterAll(async () => {
  for (const s of opened) await s.teardown();
});

async function withScenario(name: ScenarioName, check: (s: LabScenario) => Promise<void>): Promise<void> {
  const s = await setupScenario(name, { env, docker });
  opened.push(s);
  expect(targetConfigSchema.parse(s.target)).toEqual(s.target);
  expect(s.prefix).toMatch(/^rbb-[0-9a-f]{6}-$/);
  try {
    await check(s);
  } finally {
    await s.teardown();
    await s.teardown();
  }
  expect(await findLeftovers(s.prefix, { env, docker })).toEqual({
    containers: [],
    networks: [],
    processes: [],
    paths: [],
  });
}

const redisName = (s: LabScenario) => s.target.redis.docker?.container ?? '';
const clientName = (s: LabScenario) => s.target.clients[0]?.docker.container ?? '';
const out = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
const inRedis = (s: LabScenario, argv: string[]) => execIn(docker, redisName(s), argv, { timeoutSec: 5 });
const sshOf = (s: LabScenario) => {
  const ssh = s.target.redis.ssh;
  if (!ssh || !s.ssh) throw new Error(`${s.name} is not an SSH target`);
  return { ...ssh, run: s.ssh };
};
const labSshDir = join(env.labDir, 'ssh');
/** The SSH facts that do work (the lab's own key and host key), to show the host behind is fine. */
async function sshWithLabFacts(s: LabScenario, command: string) {
  const knownHostsFile = join(env.labDir, `${s.prefix}known_hosts`);
  const publicKey = await readFile(join(labSshDir, 'ssh_host_ed25519_key.pub'), 'utf8');
  await writeKnownHosts(knownHostsFile, env.sshPort, publicKey.trim());
  const privateKeyFile = join(labSshDir, 'id_ed25519');
  return sshLoopback({ port: env.sshPort, user: 'root', privateKeyFile, knownHostsFile }, command);
}
const info = async (s: LabScenario, section: string) => (await s.redisCli(['info', section])).stdout;
const RDB_DENIED =
  /Failed opening the temp RDB file temp-\d+\.rdb \(in server root dir \/data\) for saving: Permission denied/;

describe('lab scenarios', () => {
  it('rdb-permission: BGSAVE Permission denied, bgsave status err, MISCONF; chown 999 fixes it', async () => {
    await withScenario('rdb-permission', async (s) => {
      expect(await s.redisLogs()).toMatch(
        /Failed opening the temp RDB file temp-\d+\.rdb \(in server root dir \/data\) for saving: Permission denied/,
      );
      expect((await s.redisCli(['info', 'persistence'])).stdout).toContain('rdb_last_bgsave_status:err');
      expect((await s.redisCli(['set', 'k', 'v'], { from: 'client' })).stdout).toMatch(
        /^MISCONF Redis is configured to save RDB snapshots/,
      );
      // The probes see a real repair: the seed's chown, then a BGSAVE that succeeds.
      await chown(join(env.labDir, `${s.prefix}data`), 999, 999);
      await s.redisCli(['bgsave']);
      await expect
        .poll(async () => (await s.redisCli(['info', 'persistence'])).stdout, { timeout: 10_000 })
        .toContain('rdb_last_bgsave_status:ok');
      expect((await s.redisCli(['set', 'k', 'v'], { from: 'client' })).stdout.trim()).toBe('OK');
    });
  });

  it('aof-permission: Redis exits 1 with the AOF dir error', async () => {
    await withScenario('aof-permission', async (s) => {
      const state = await containerState(docker, redisName(s));
      expect(state).toMatchObject({ running: false, exitCode: 1 });
      expect(await containerLogs(docker, redisName(s))).toContain(
        "Can't open or create append-only dir appendonlydir: Permission denied",
      );
    });
  });

  it('wrong-network: the client cannot resolve Redis; network connect fixes it', async () => {
    await withScenario('wrong-network', async (s) => {
      const r = await s.redisCli(['ping'], { from: 'client' });
      expect(out(r)).toContain(
        `Could not connect to Redis at ${redisName(s)}:6379: Name or service not known`,
      );
      await docker.getNetwork(`${s.prefix}net-other`).connect({ Container: redisName(s) });
      await expect
        .poll(async () => (await s.redisCli(['ping'], { from: 'client' })).stdout.trim(), { timeout: 10_000 })
        .toBe('PONG');
    });
  });

  it('service-user-mismatch: real systemd runs redis-server.service as autobot over a redis-owned dir, seen over SSH', async () => {
    await withScenario('service-user-mismatch', async (s) => {
      const ssh = s.target.redis.ssh;
      expect(ssh).toBeDefined();
      expect(s.target.redis).toMatchObject({
        serviceUser: 'redis',
        unit: 'redis-server',
        dataDir: '/var/lib/redis',
      });
      expect(await s.redisLogs()).toMatch(
        /Failed opening the temp RDB file temp-\d+\.rdb .*: Permission denied/,
      );
      expect((await s.redisCli(['info', 'persistence'])).stdout).toContain('rdb_last_bgsave_status:err');
      expect((await s.redisCli(['set', 'k', 'v'])).stdout).toMatch(/^MISCONF/);
      // systemd is PID 1 of the VM, and the packaged unit's User=redis is overridden by a drop-in.
      const vm = s.vmExec;
      if (!vm || !s.ssh) throw new Error('not a VM scenario');
      expect((await vm(['cat', '/proc/1/comm'])).stdout.trim()).toBe('systemd');
      // The target's own SSH facts work (the pinned host key, the key file), and show the mismatch.
      const r = await s.ssh(
        `stat -c %U ${s.target.redis.dataDir}; ps -o user= -C redis-server; systemctl show -p User redis-server`,
      );
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe('redis\nautobot\nUser=autobot\n');
    });
  });

  it('container-stopped: the Redis container has exited', async () => {
    await withScenario('container-stopped', async (s) => {
      expect(await containerState(docker, redisName(s))).toMatchObject({ running: false, status: 'exited' });
      expect(out(await s.redisCli(['ping'], { from: 'client' }))).toMatch(/Could not connect to Redis/);
    });
  });

  it('maxmemory: writes get OOM', async () => {
    await withScenario('maxmemory', async (s) => {
      expect((await s.redisCli(['set', 'k', 'v'], { from: 'client' })).stdout.trim()).toBe(
        "OOM command not allowed when used memory > 'maxmemory'.",
      );
      expect((await s.redisCli(['info', 'memory'])).stdout).toContain('maxmemory_policy:noeviction');
    });
  });

  it('maxclients: new clients are refused; restarting the leaking app releases them', async () => {
    await withScenario('maxclients', async (s) => {
      expect(out(await s.redisCli(['ping'], { from: 'client' }))).toContain(
        'ERR max number of clients reached',
      );
      const app = s.target.clients[0]?.docker.container ?? '';
      await docker.getContainer(app).restart({ t: 0 });
      await expect
        .poll(async () => (await s.redisCli(['ping'], { from: 'client' })).stdout.trim(), { timeout: 10_000 })
        .toBe('PONG');
    });
  });

  it('auth-refused: the configured password is refused with WRONGPASS', async () => {
    await withScenario('auth-refused', async (s) => {
      const envName = s.target.redis.passwordEnv ?? '';
      const wrong = s.env[envName];
      expect(wrong).toBeDefined();
      const refused = await s.redisCli(['ping'], { from: 'client', ...(wrong ? { password: wrong } : {}) });
      expect(out(refused)).toContain('WRONGPASS invalid username-password pair or user is disabled.');
      expect((await s.redisCli(['ping'], { from: 'client' })).stdout).toContain(
        'NOAUTH Authentication required.',
      );
      const right = await s.redisCli(['ping'], { from: 'client', password: s.redisPassword ?? '' });
      expect(right.stdout.trim()).toBe('PONG');
    });
  });

  it('healthy: PONG and writes from the client', async () => {
    await withScenario('healthy', async (s) => {
      expect((await s.redisCli(['ping'], { from: 'client' })).stdout.trim()).toBe('PONG');
      expect((await s.redisCli(['set', 'k', 'v'], { from: 'client' })).stdout.trim()).toBe('OK');
    });
  });

  it('missing-container: the target names a container that was never created', async () => {
    await withScenario('missing-container', async (s) => {
      await expect(docker.getContainer(redisName(s)).inspect()).rejects.toThrow(
        `(HTTP code 404) no such container - no container with name or ID "${redisName(s)}" found: no such container`,
      );
      const client = await docker.getContainer(clientName(s)).inspect();
      expect(client.State.Running).toBe(true);
      expect(Object.keys(client.NetworkSettings.Networks)).toEqual([`${s.prefix}net`]);
      expect(out(await s.redisCli(['ping'], { from: 'client' }))).toContain(
        `Could not connect to Redis at ${redisName(s)}:6379: Name or service not known`,
      );
      expect(await s.redisLogs()).toBe('');
    });
  });

  it('ssh-refused: nothing listens on the SSH port', async () => {
    await withScenario('ssh-refused', async (s) => {
      const ssh = sshOf(s);
      expect(ssh).toMatchObject({
        host: '127.0.0.1',
        user: 'root',
        hostKey: expect.stringMatching(/^SHA256:/),
      });
      expect(ssh.port).not.toBe(env.sshPort);
      expect((await runHost(['ss', '-Hltn', 'sport', '=', `:${ssh.port}`])).stdout).toBe('');
      expect(await tcpProbe(ssh.port, 0)).toEqual({
        connected: false,
        bytes: 0,
        error: `connect ECONNREFUSED 127.0.0.1:${ssh.port}`,
      });
      const r = await ssh.run('true');
      expect(r.exitCode).toBe(255);
      expect(r.stderr.trim()).toBe(`ssh: connect to host 127.0.0.1 port ${ssh.port}: Connection refused`);
    });
  });

  it('ssh-silent: TCP connects, then not a byte arrives', async () => {
    await withScenario('ssh-silent', async (s) => {
      const ssh = sshOf(s);
      // A stopped listener: the kernel still queues connections (Recv-Q) up to its backlog (Send-Q).
      const listen = (await runHost(['ss', '-Hltn', 'sport', '=', `:${ssh.port}`])).stdout;
      expect(listen).toMatch(new RegExp(`^LISTEN\\s+\\d+\\s+\\d+\\s+127\\.0\\.0\\.1:${ssh.port}\\s`));
      expect(await tcpProbe(ssh.port, 2000)).toEqual({ connected: true, bytes: 0 });
      const started = Date.now();
      const r = await ssh.run('true');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect(r.exitCode).toBe(255);
      expect(r.stderr).toBe(
        `Connection timed out during banner exchange\r\nConnection to 127.0.0.1 port ${ssh.port} timed out\r\n`,
      );
      // The listener is this scenario's own process, so teardown finds it.
      expect((await findLeftovers(s.prefix, { env, docker })).processes).toHaveLength(1);
    });
  });

  it('host-key-mismatch: the pinned fingerprint is not the real host key', async () => {
    await withScenario('host-key-mismatch', async (s) => {
      const ssh = sshOf(s);
      expect(ssh.port).toBe(env.sshPort);
      const real = await runHost(['ssh-keygen', '-lf', join(labSshDir, 'ssh_host_ed25519_key.pub')]);
      expect(real.stdout).toMatch(/^256 SHA256:[A-Za-z0-9+/]{43} runbook-bot-lab-host \(ED25519\)\n$/);
      expect(real.stdout).not.toContain(ssh.hostKey);
      const r = await ssh.run('true');
      expect(r.exitCode).toBe(255);
      expect(r.stderr).toContain('WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!');
      expect(r.stderr).toContain(
        `Host key for [127.0.0.1]:${env.sshPort} has changed and you have requested strict checking.`,
      );
      expect(r.stderr).toContain('Host key verification failed.');
      // Only the pin is wrong: with the real host key the same login reaches a healthy Redis.
      const port = String(s.target.redis.port);
      const ok = await sshWithLabFacts(s, `redis-cli -p ${port} ping`);
      expect(ok.stdout.trim()).toBe('PONG');
    });
  });

  it('ssh-missing-key: the private key file does not exist', async () => {
    await withScenario('ssh-missing-key', async (s) => {
      const ssh = sshOf(s);
      expect(ssh.privateKeyFile.startsWith(join(env.labDir, s.prefix))).toBe(true);
      await expect(stat(ssh.privateKeyFile)).rejects.toThrow(/ENOENT: no such file or directory/);
      const r = await ssh.run('true');
      expect(r.exitCode).toBe(255);
      expect(r.stderr).toContain(
        `Warning: Identity file ${ssh.privateKeyFile} not accessible: No such file or directory.`,
      );
      expect(r.stderr).toContain('root@127.0.0.1: Permission denied (publickey).');
      const ok = await sshWithLabFacts(s, `redis-cli -p ${String(s.target.redis.port)} ping`);
      expect(ok.stdout.trim()).toBe('PONG');
    });
  });

  it('redis-frozen: the container runs, Redis is stopped, PING gets no reply', async () => {
    await withScenario('redis-frozen', async (s) => {
      expect(await containerState(docker, redisName(s))).toMatchObject({ running: true, status: 'running' });
      expect((await inRedis(s, ['grep', '^State:', '/proc/1/status'])).stdout).toBe('State:\tT (stopped)\n');
      const started = Date.now();
      const ping = await s.redisCli(['ping'], { from: 'client', timeoutSec: 2 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect(ping).toEqual({ stdout: '', stderr: '', exitCode: 137 });
    });
  });

  it('stale-logs-healthy: an earlier run logged Permission denied; this run saves and writes', async () => {
    await withScenario('stale-logs-healthy', async (s) => {
      const logs = (await s.redisLogs()).split('\n');
      const starts = logs.flatMap((l, i) => (l.includes('Redis is starting') ? [i] : []));
      expect(starts).toHaveLength(2);
      const lastStart = starts[1] ?? 0;
      const denied = logs.findIndex((l) => RDB_DENIED.test(l));
      expect(denied).toBeGreaterThan(-1);
      expect(denied).toBeLessThan(lastStart);
      const thisRun = logs.slice(lastStart);
      expect(thisRun.some((l) => RDB_DENIED.test(l))).toBe(false);
      expect(thisRun.some((l) => l.includes('Background saving terminated with success'))).toBe(true);
      expect(await info(s, 'persistence')).toContain('rdb_last_bgsave_status:ok');
      expect((await s.redisCli(['set', 'k', 'v'], { from: 'client' })).stdout.trim()).toBe('OK');
    });
  });

  it('persistence-off-root-dir: /data is root-owned 0755, nothing is saved, all is healthy', async () => {
    await withScenario('persistence-off-root-dir', async (s) => {
      expect((await s.redisCli(['ping'], { from: 'client' })).stdout.trim()).toBe('PONG');
      expect((await s.redisCli(['set', 'k', 'v'], { from: 'client' })).stdout.trim()).toBe('OK');
      expect((await s.redisCli(['config', 'get', 'save'])).stdout).toBe('save\n\n');
      expect((await s.redisCli(['config', 'get', 'appendonly'])).stdout).toBe('appendonly\nno\n');
      const persistence = await info(s, 'persistence');
      expect(persistence).toContain('rdb_last_bgsave_status:ok');
      expect(persistence).toContain('rdb_last_bgsave_time_sec:-1');
      expect((await inRedis(s, ['stat', '-c', '%u:%g %a', '/data'])).stdout).toBe('0:0 755\n');
      // The latent fault is real: Redis's user could not write there if it ever had to.
      expect((await inRedis(s, ['touch', '/data/probe'])).stderr).toBe(
        'touch: /data/probe: Permission denied\n',
      );
    });
  });

  it('group-writable-dir: Redis writes /data through its supplementary group 1001', async () => {
    await withScenario('group-writable-dir', async (s) => {
      expect((await inRedis(s, ['stat', '-c', '%u:%g %a', '/data'])).stdout).toBe('1001:1001 775\n');
      expect((await inRedis(s, ['id'])).stdout).toBe('uid=999(redis) gid=999(redis) groups=1001\n');
      expect((await inRedis(s, ['grep', '^Groups:', '/proc/1/status'])).stdout).toMatch(
        /^Groups:\s+999 1001\s*$/,
      );
      expect((await s.redisCli(['bgsave'])).stdout.trim()).toBe('Background saving started');
      await expect
        .poll(
          async () =>
            /rdb_bgsave_in_progress:0\r?\n[\s\S]*rdb_last_bgsave_status:ok/.test(
              await info(s, 'persistence'),
            ),
          { timeout: 10_000 },
        )
        .toBe(true);
      const dump = await stat(join(env.labDir, `${s.prefix}data`, 'dump.rdb'));
      expect(dump.uid).toBe(999);
    });
  });

  it('misconf-oom: BGSAVE failed and memory is full; a write says OOM, PING says MISCONF', async () => {
    await withScenario('misconf-oom', async (s) => {
      expect(await s.redisLogs()).toMatch(RDB_DENIED);
      expect(await info(s, 'persistence')).toContain('rdb_last_bgsave_status:err');
      expect((await s.redisCli(['set', 'k', 'v'], { from: 'client' })).stdout.trim()).toBe(
        "OOM command not allowed when used memory > 'maxmemory'.",
      );
      expect((await s.redisCli(['ping'], { from: 'client' })).stdout).toMatch(
        /^MISCONF Redis is configured to save RDB snapshots/,
      );
      const memory = await info(s, 'memory');
      const used = Number(/^used_memory:(\d+)/m.exec(memory)?.[1]);
      const max = Number(/^maxmemory:(\d+)/m.exec(memory)?.[1]);
      expect(max).toBe(2 * 1024 * 1024);
      expect(used).toBeGreaterThan(max);
    });
  });

  it('wrong-network-bgsave: the client cannot resolve Redis, and BGSAVE fails', async () => {
    await withScenario('wrong-network-bgsave', async (s) => {
      expect(out(await s.redisCli(['ping'], { from: 'client' }))).toContain(
        `Could not connect to Redis at ${redisName(s)}:6379: Name or service not known`,
      );
      expect(await s.redisLogs()).toMatch(RDB_DENIED);
      expect(await info(s, 'persistence')).toContain('rdb_last_bgsave_status:err');
      expect((await s.redisCli(['set', 'k', 'v'])).stdout).toMatch(/^MISCONF/);
    });
  });

  it('client-no-cli: Redis is fine, the client has no redis-cli to check it with', async () => {
    await withScenario('client-no-cli', async (s) => {
      expect((await s.redisCli(['ping'])).stdout.trim()).toBe('PONG');
      // Exec'd as is, Podman answers (in stdout, exit 127; the fd number varies):
      //   Error: runc: exec failed: unable to start container process: exec: "redis-cli": executable
      //   file not found in $PATH: OCI runtime attempted to invoke a command that was not found
      //   Error: read unixpacket @->/proc/self/fd/14/attach: read: connection reset by peer
      const raw = await execIn(docker, clientName(s), ['redis-cli', 'ping'], { raw: true });
      expect(raw.exitCode).toBe(127);
      expect(out(raw)).toContain(
        'exec: "redis-cli": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found',
      );
      // Under busybox timeout (how the lab's probes run): "timeout: can't execute 'redis-cli': No such file or directory"
      const wrapped = await s.redisCli(['ping'], { from: 'client' });
      expect(wrapped.exitCode).toBe(127);
      expect(wrapped.stderr).toBe("timeout: can't execute 'redis-cli': No such file or directory\n");
      // The network is fine: the same client reaches Redis with busybox nc.
      const nc = await execIn(docker, clientName(s), [
        'sh',
        '-c',
        `printf 'PING\\r\\nQUIT\\r\\n' | nc -w 2 ${redisName(s)} 6379`,
      ]);
      expect(nc.stdout).toBe('+PONG\r\n+OK\r\n');
    });
  });

  it('two setups never collide', async () => {
    const [a, b] = await Promise.all([
      setupScenario('healthy', { env, docker }),
      setupScenario('healthy', { env, docker }),
    ]);
    if (!a || !b) throw new Error('unreachable');
    opened.push(a, b);
    expect(a.prefix).not.toBe(b.prefix);
    await Promise.all([a.teardown(), b.teardown()]);
    expect((await findLeftovers(a.prefix, { env, docker })).containers).toEqual([]);
  });
});
