import { chown } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  containerLogs,
  containerState,
  findLeftovers,
  type LabScenario,
  labDocker,
  labEnvFrom,
  runHost,
  type ScenarioName,
  setupScenario,
} from '../../src/lab/index.js';
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
const out = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;

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

  it('service-user-mismatch: host Redis as autobot over a redis-owned dir, seen over SSH', async () => {
    await withScenario('service-user-mismatch', async (s) => {
      const ssh = s.target.redis.ssh;
      expect(ssh).toBeDefined();
      expect(s.target.redis.serviceUser).toBe('redis');
      expect(await s.redisLogs()).toMatch(
        /Failed opening the temp RDB file temp-\d+\.rdb .*: Permission denied/,
      );
      expect((await s.redisCli(['info', 'persistence'])).stdout).toContain('rdb_last_bgsave_status:err');
      expect((await s.redisCli(['set', 'k', 'v'])).stdout).toMatch(/^MISCONF/);
      // The target's own SSH facts work: pinned host key, key file, and the mismatch is visible there.
      const known = join(env.labDir, `${s.prefix}known_hosts`);
      const keyscan = await runHost([
        'ssh-keygen',
        '-lf',
        join(env.labDir, 'ssh', 'ssh_host_ed25519_key.pub'),
      ]);
      expect(keyscan.stdout).toContain(ssh?.hostKey ?? 'missing');
      const r = await runHost([
        'ssh',
        '-i',
        ssh?.privateKeyFile ?? '',
        '-p',
        String(ssh?.port),
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        `UserKnownHostsFile=${known}`,
        `root@${ssh?.host}`,
        `stat -c %U ${s.target.redis.dataDir}; ps -o user= -C redis-server`,
      ]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^redis\n/);
      expect(r.stdout).toContain('autobot');
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
