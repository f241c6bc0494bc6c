import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunbookBotError } from '../runbooks/errors.js';
import type { CommandOutput } from './docker.js';
import { waitFor } from './docker.js';
import { matchingLine, SAVE_POINTS } from './docker-redis.js';
import { freeLoopbackPort, runHost } from './host.js';
import type { CliOptions, ScenarioContext, ScenarioDef, ScenarioParts } from './types.js';

// Seed 003: a VM reached over SSH where the service runs as `autobot` while its data dir belongs to
// `redis`. No systemd here, so runuser plays the unit's User= line.
const SERVICE_USER = 'redis';
const RUNS_AS = 'autobot';

async function hostIds(user: string): Promise<{ uid: number; gid: number }> {
  const [u, g] = await Promise.all([runHost(['id', '-u', user]), runHost(['id', '-g', user])]);
  const uid = Number(u.stdout.trim());
  const gid = Number(g.stdout.trim());
  if (u.exitCode !== 0 || g.exitCode !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new RunbookBotError('LAB_FAILED', `host user ${user} is missing: run lab/install.sh`);
  }
  return { uid, gid };
}

async function readSshFacts(labDir: string) {
  const sshDir = join(labDir, 'ssh');
  try {
    const hostKey = (await readFile(join(sshDir, 'host_key_fingerprint'), 'utf8')).trim();
    await readFile(join(sshDir, 'id_ed25519'));
    return { hostKey, privateKeyFile: join(sshDir, 'id_ed25519') };
  } catch (e) {
    throw new RunbookBotError('LAB_FAILED', `the lab's sshd is not set up in ${sshDir}: run lab/start.sh`, {
      cause: e,
    });
  }
}

async function serviceUserMismatch(ctx: ScenarioContext): Promise<ScenarioParts> {
  const ssh = await readSshFacts(ctx.env.labDir);
  const base = ctx.hostPath('host');
  const dataDir = join(base, 'data');
  const logDir = join(base, 'log');
  const logFile = join(logDir, 'redis-server.log');
  const owner = await hostIds(SERVICE_USER);
  const runner = await hostIds(RUNS_AS);
  await mkdir(dataDir, { recursive: true });
  await mkdir(logDir, { recursive: true });
  await chmod(base, 0o755);
  await chown(dataDir, owner.uid, owner.gid);
  await chmod(dataDir, 0o755);
  // The log dir is writable by the wrong user on purpose: otherwise Redis would not start at all.
  await chown(logDir, runner.uid, runner.gid);

  const port = await freeLoopbackPort();
  const server = ['redis-server', '--bind', '127.0.0.1', '--port', String(port), '--protected-mode', 'no'];
  const files = ['--dir', dataDir, '--logfile', logFile, '--daemonize', 'no'];
  const child = spawn('runuser', ['-u', RUNS_AS, '--', ...server, ...files, ...SAVE_POINTS], {
    detached: true,
    stdio: 'ignore',
  });
  child.on('error', () => undefined);
  child.unref();

  const cli = (args: readonly string[], opts: CliOptions = {}): Promise<CommandOutput> =>
    runHost(['redis-cli', '-h', '127.0.0.1', '-p', String(port), ...args], {
      env: opts.password !== undefined ? { REDISCLI_AUTH: opts.password } : {},
      timeoutMs: 10_000,
    });
  const logs = () => readFile(logFile, 'utf8').catch(() => '');
  const reply = (args: readonly string[], want: RegExp) =>
    waitFor(`redis-cli ${args.join(' ')} to answer ${want}`, async () => {
      const r = await cli(args);
      return matchingLine(`${r.stdout}\n${r.stderr}`, want);
    });

  await reply(['ping'], /PONG/);
  await cli(['bgsave']);
  const logLine = await waitFor('the RDB error in the log file', async () =>
    matchingLine(await logs(), /Failed opening the temp RDB file .*Permission denied/),
  );
  const status = await reply(['info', 'persistence'], /rdb_last_bgsave_status:err/);
  const misconf = await reply(['set', 'lab:probe', '1'], /^MISCONF/);
  const ps = await runHost(['ps', '-o', 'user=,comm=', '-p', String(await serverPid(port))]);
  return {
    target: {
      redis: {
        ssh: { host: '127.0.0.1', port: ctx.env.sshPort, user: 'root', ...ssh },
        port,
        dataDir,
        serviceUser: SERVICE_USER,
        logFile,
      },
    },
    evidence: [logLine, status, misconf, `process: ${ps.stdout.trim()}`],
    redisCli: cli,
    redisLogs: logs,
  };
}

/** The pid listening on the port, from `ss` (the server rewrites its own argv). */
async function serverPid(port: number): Promise<number> {
  const r = await runHost(['ss', '-Hltnp', 'sport', '=', `:${port}`]);
  const m = /pid=(\d+)/.exec(r.stdout);
  if (!m?.[1]) throw new RunbookBotError('LAB_FAILED', `nothing listens on 127.0.0.1:${port}`);
  return Number(m[1]);
}

export const hostScenarios = {
  'service-user-mismatch': {
    seed: '003',
    description: 'host Redis (over SSH) runs as autobot over a data dir owned by redis: BGSAVE fails',
    setup: serviceUserMismatch,
  },
} satisfies Record<string, ScenarioDef>;
