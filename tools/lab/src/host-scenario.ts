import { waitFor } from './docker.js';
import { matchingLine, SAVE_POINTS } from './docker-redis.js';
import { runHost } from './host.js';
import { readSshFacts, startHostRedis } from './host-redis.js';
import { LabError } from './lab-error.js';
import type { ScenarioContext, ScenarioDef, ScenarioParts } from './types.js';

// Seed 003: a VM reached over SSH where the service runs as `autobot` while its data dir belongs to
// `redis`. No systemd here, so runuser plays the unit's User= line.
const SERVICE_USER = 'redis';
const RUNS_AS = 'autobot';

async function serviceUserMismatch(ctx: ScenarioContext): Promise<ScenarioParts> {
  const { hostKey, privateKeyFile } = await readSshFacts(ctx.env.labDir);
  const r = await startHostRedis(ctx.hostPath('host'), {
    runAs: RUNS_AS,
    dataOwner: SERVICE_USER,
    extraArgs: SAVE_POINTS,
  });
  await r.cli(['bgsave']);
  const logLine = await waitFor('the RDB error in the log file', async () =>
    matchingLine(await r.logs(), /Failed opening the temp RDB file .*Permission denied/),
  );
  const status = await r.reply(['info', 'persistence'], /rdb_last_bgsave_status:err/);
  const misconf = await r.reply(['set', 'lab:probe', '1'], /^MISCONF/);
  const ps = await runHost(['ps', '-o', 'user=,comm=', '-p', String(await serverPid(r.port))]);
  return {
    target: {
      redis: {
        ssh: { host: '127.0.0.1', port: ctx.env.sshPort, user: 'root', hostKey, privateKeyFile },
        port: r.port,
        dataDir: r.dataDir,
        serviceUser: SERVICE_USER,
        logFile: r.logFile,
      },
    },
    evidence: [logLine, status, misconf, `process: ${ps.stdout.trim()}`],
    redisCli: r.cli,
    redisLogs: r.logs,
  };
}

/** The pid listening on the port, from `ss` (the server rewrites its own argv). */
async function serverPid(port: number): Promise<number> {
  const r = await runHost(['ss', '-Hltnp', 'sport', '=', `:${port}`]);
  const m = /pid=(\d+)/.exec(r.stdout);
  if (!m?.[1]) throw new LabError(`nothing listens on 127.0.0.1:${port}`);
  return Number(m[1]);
}

export const hostScenarios = {
  'service-user-mismatch': {
    seed: '003',
    description: 'host Redis (over SSH) runs as autobot over a data dir owned by redis: BGSAVE fails',
    setup: serviceUserMismatch,
  },
} satisfies Record<string, ScenarioDef>;
