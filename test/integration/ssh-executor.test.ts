import { execFile as execFileCb, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TargetExecutor } from '../../src/executors/target-executor.js';
import type { Action } from '../../src/runbooks/action.js';
import { isRunbookBotError } from '../../src/runbooks/errors.js';
import { type TargetConfig, targetConfigSchema } from '../../src/runbooks/target.js';
import { describeExecutorContract } from './executor-contract.js';

const execFile = promisify(execFileCb);

// The lab's sshd is on this machine: the tests check the host side directly.
const skip = !process.env.DOCKER_HOST;
if (skip) console.warn('ssh-executor tests skipped: DOCKER_HOST is not set (the lab is not up)');
const LAB_DIR = process.env.LAB_DIR ?? '/run/runbook-bot-lab';
const SSH_PORT = Number(process.env.LAB_SSH_PORT ?? 2222);
const KEY_FILE = join(LAB_DIR, 'ssh', 'id_ed25519');
const FINGERPRINT_FILE = join(LAB_DIR, 'ssh', 'host_key_fingerprint');
const SERVICE_USER = 'autobot';

/** Command lines of this machine's processes that contain `text` (the SSH host is this machine). */
function hostProcesses(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(text)) found.push(cmd);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

interface HostRedis {
  port: number;
  secret: string;
  dir: string;
  stop(): Promise<void>;
}

/** A real redis-server on the host, run as another user than root (seed 003's shape). */
async function startHostRedis(): Promise<HostRedis> {
  const port = 21_000 + Math.floor(Math.random() * 20_000);
  const secret = `Pw-${randomBytes(9).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'rbb-ssh-'));
  const { stdout } = await execFile('id', ['-u', SERVICE_USER]);
  const uid = Number(stdout.trim());
  await chown(dir, uid, uid);
  const args = ['-u', SERVICE_USER, '--', 'redis-server', '--port', String(port), '--bind', '127.0.0.1'];
  args.push('--requirepass', secret, '--save', '', '--dir', dir, '--logfile', join(dir, 'redis.log'));
  args.push('--daemonize', 'yes', '--pidfile', join(dir, 'redis.pid'));
  const started = spawnSync('runuser', args, { encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`redis-server did not start: ${started.stderr}`);
  for (let i = 0; i < 50 && !existsSync(join(dir, 'redis.pid')); i++)
    await new Promise((r) => setTimeout(r, 100));
  return {
    port,
    secret,
    dir,
    stop: async () => {
      const pid = Number((await readFile(join(dir, 'redis.pid'), 'utf8').catch(() => '')).trim());
      if (pid > 0) process.kill(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function sshTarget(redis: HostRedis, over: { hostKey?: string; port?: number } = {}): TargetConfig {
  return targetConfigSchema.parse({
    redis: {
      ssh: {
        host: '127.0.0.1',
        port: over.port ?? SSH_PORT,
        user: 'root',
        privateKeyFile: KEY_FILE,
        hostKey: over.hostKey ?? readFileSync(FINGERPRINT_FILE, 'utf8').trim(),
      },
      port: redis.port,
      passwordEnv: 'HOST_REDIS_PASSWORD',
      logFile: join(redis.dir, 'redis.log'),
      serviceUser: 'redis',
    },
  });
}

const makeExecutor = (redis: HostRedis, over: { hostKey?: string; port?: number } = {}) =>
  new TargetExecutor('session-store', sshTarget(redis, over), {
    secretOf: (env) => (env === 'HOST_REDIS_PASSWORD' ? redis.secret : undefined),
  });

describe.skipIf(skip)('SshExecutor', () => {
  describeExecutorContract('ssh', async () => {
    const redis = await startHostRedis();
    const executor = makeExecutor(redis);
    const unreachable = makeExecutor(redis, { port: 1 });
    return {
      executor,
      place: { at: 'redis' },
      secret: redis.secret,
      unreachable,
      countProcesses: async (text) => hostProcesses(text).length,
      cleanup: async () => {
        await executor.close();
        await unreachable.close();
        await redis.stop();
      },
    };
  });

  describe('ssh-only behaviour', () => {
    let redis: HostRedis;
    let executor: TargetExecutor;
    const place = { at: 'redis' } as const;
    const t = { timeoutMs: 20_000 };
    beforeAll(async () => {
      redis = await startHostRedis();
      executor = makeExecutor(redis);
    });
    afterAll(async () => {
      await executor?.close();
      await redis?.stop();
    });

    it('refuses a host whose key does not match the pin, before running anything', async () => {
      const marker = join(tmpdir(), `rbb-${randomBytes(4).toString('hex')}-hostkey-marker`);
      const wrong = makeExecutor(redis, { hostKey: `SHA256:${'A'.repeat(43)}` });
      await expect(wrong.run({ kind: 'exec', place, argv: ['touch', marker] }, t)).rejects.toSatisfy(
        (e: unknown) => isRunbookBotError(e, 'HOST_KEY_MISMATCH'),
      );
      expect(existsSync(marker)).toBe(false);
      await wrong.close();
      // The same command with the right pin does create the marker: the check above can fail.
      const r = await executor.run({ kind: 'exec', place, argv: ['touch', marker] }, t);
      expect(r.exitCode).toBe(0);
      expect(existsSync(marker)).toBe(true);
      await rm(marker, { force: true });
    });

    it('stops a hanging command run as another user and leaves nothing behind (pgrep -f)', async () => {
      const n = String(40_000 + Math.floor(Math.random() * 50_000));
      const r = await executor.run(
        { kind: 'exec', place, argv: ['sh', '-c', `sleep ${n}; echo never`], user: SERVICE_USER },
        { timeoutMs: 1500 },
      );
      expect(r).toMatchObject({ timedOut: true, exitCode: null, stdout: '' });
      const pgrep = spawnSync('pgrep', ['-f', `sleep ${n}`], { encoding: 'utf8' });
      expect(pgrep.stdout).toBe('');
      expect(pgrep.status).toBe(1);
    });

    it('runs exec as root by default and as the given user through runuser', async () => {
      expect((await executor.run({ kind: 'exec', place, argv: ['id', '-un'] }, t)).stdout).toBe('root\n');
      const asUser = await executor.run({ kind: 'exec', place, argv: ['id', '-un'], user: SERVICE_USER }, t);
      expect(asUser.stdout).toBe(`${SERVICE_USER}\n`);
    });

    it('describes the Redis process as JSON', async () => {
      const r = await executor.run({ kind: 'inspect', place }, t);
      expect(r.exitCode).toBe(0);
      const info = JSON.parse(r.stdout) as Record<string, unknown>;
      const { stdout: uid } = await execFile('id', ['-u', SERVICE_USER]);
      expect(info).toMatchObject({ running: true, port: redis.port, user: SERVICE_USER, uid: Number(uid) });
      expect(info.name).toBe('redis-server');
      expect(info.cwd).toBe(redis.dir);
      expect(r.stdout).not.toContain(redis.secret);
    });

    it('says not running when nothing listens on the port', async () => {
      const other = makeExecutor({ ...redis, port: 1 });
      const r = await other.run({ kind: 'inspect', place }, t);
      await other.close();
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ running: false, port: 1, listen: [] });
    });

    it('tails the log file', async () => {
      const r = await executor.run({ kind: 'logs', place, tail: 3 }, t);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(3);
      expect(r.stdout).toMatch(/Ready to accept connections/);
    });

    it('refuses container-only actions', async () => {
      const actions: Action[] = [
        { kind: 'start', place },
        { kind: 'restart', place },
        { kind: 'network-connect', place, network: 'x' },
        { kind: 'helper', place, argv: ['true'], user: 'root' },
      ];
      for (const action of actions) {
        await expect(executor.run(action, t)).rejects.toSatisfy((e: unknown) =>
          isRunbookBotError(e, 'ACTION_UNSUPPORTED'),
        );
      }
    });

    it('reuses one connection and opens a new one after it drops', async () => {
      const fresh = makeExecutor(redis);
      const sessions = async () =>
        (
          await execFile('pgrep', ['-c', '-f', 'sshd: root@notty']).catch(() => ({ stdout: '0' }))
        ).stdout.trim();
      const before = Number(await sessions());
      for (let i = 0; i < 5; i++)
        expect((await fresh.run({ kind: 'exec', place, argv: ['true'] }, t)).exitCode).toBe(0);
      expect(Number(await sessions())).toBe(before + 1);
      // Kill our own session's sshd process from inside: the connection drops under us.
      const dropped = await fresh.run(
        { kind: 'exec', place, argv: ['sh', '-c', 'kill -9 "$(ps -o ppid= -p "$PPID" | tr -d " ")"'] },
        t,
      );
      expect(dropped.exitCode === null || dropped.unreachable).toBe(true);
      const again = await fresh.run({ kind: 'exec', place, argv: ['echo', 'back'] }, t);
      expect(again).toMatchObject({ exitCode: 0, stdout: 'back\n' });
      await fresh.close();
    });

    it('measures the exec round trip', async () => {
      const times: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        await executor.run({ kind: 'exec', place, argv: ['true'] }, t);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      console.log(`ssh exec round trip: median ${times[5]?.toFixed(1)} ms, max ${times[9]?.toFixed(1)} ms`);
      expect(times[5]).toBeLessThan(2000);
    });
  });
});
