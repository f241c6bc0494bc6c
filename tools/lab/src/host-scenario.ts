import { waitFor } from './docker.js';
import { matchingLine } from './docker-redis.js';
import { LabError } from './lab-error.js';
import { startSystemdVm } from './systemd-vm.js';
import type { CliOptions, ScenarioContext, ScenarioDef, ScenarioParts } from './types.js';

// Seed 003 on a real systemd: Debian's packaged redis-server.service runs Redis as redis:redis; a
// drop-in (as a hand edit on the seed's VM did) makes it run as autobot:autobot, while the data dir
// and log dir belong to redis:redis and the files in the dir to autobot, as the seed lists them.
const SERVICE_USER = 'redis';
const UNIT = 'redis-server';
const DATA_DIR = '/var/lib/redis';
const LOG_DIR = '/var/log/redis';

const BREAK = [
  'set -e',
  // A key from before the fault, so a repair that loses the dataset shows.
  'redis-cli set lab:before kept >/dev/null',
  'redis-cli save >/dev/null',
  'systemctl stop redis-server',
  'install -d -m 755 /etc/systemd/system/redis-server.service.d',
  'printf "[Service]\\nUser=autobot\\nGroup=autobot\\n" >/etc/systemd/system/redis-server.service.d/override.conf',
  `chown redis:redis ${DATA_DIR} ${LOG_DIR}`,
  `chmod 755 ${DATA_DIR} ${LOG_DIR}`,
  `chown autobot:autobot ${DATA_DIR}/dump.rdb`,
  `head -c 512 /dev/urandom >${DATA_DIR}/temp-17297.rdb`,
  `chown autobot:autobot ${DATA_DIR}/temp-17297.rdb`,
  `chmod 755 ${DATA_DIR}/temp-17297.rdb`,
  'systemctl daemon-reload',
  'systemctl start redis-server',
].join('\n');

type Login = { user: 'root' | 'ops' | 'guest'; sudo: boolean };

async function serviceUserMismatch(ctx: ScenarioContext, login: Login): Promise<ScenarioParts> {
  const vm = await startSystemdVm(ctx);
  const broke = await vm.exec(['sh', '-c', BREAK], 60_000);
  if (broke.exitCode !== 0) throw new LabError(`could not break the VM: ${broke.stdout}${broke.stderr}`);
  const cli = (args: readonly string[], o: CliOptions = {}) =>
    vm.exec(['timeout', String(o.timeoutSec ?? 10), 'redis-cli', ...args]);
  const logs = async () =>
    (await vm.exec(['journalctl', '-u', UNIT, '-n', '500', '--no-pager', '-o', 'cat'])).stdout;
  const reply = (args: readonly string[], want: RegExp) =>
    waitFor(`redis-cli ${args.join(' ')} to answer ${want}`, async () => {
      const r = await cli(args);
      return matchingLine(`${r.stdout}\n${r.stderr}`, want);
    });
  await reply(['ping'], /PONG/);
  await cli(['bgsave']);
  const logLine = await waitFor('the RDB error in the journal', async () =>
    matchingLine(await logs(), /Failed opening the temp RDB file .*Permission denied/),
  );
  const status = await reply(['info', 'persistence'], /rdb_last_bgsave_status:err/);
  const misconf = await reply(['set', 'lab:probe', '1'], /^MISCONF/);
  const ps = await vm.exec(['ps', '-o', 'user=,group=,pid=,comm=', '-C', 'redis-server']);
  const show = await vm.exec(['systemctl', 'show', '-p', 'User,Group,DropInPaths', UNIT]);
  const ls = await vm.exec(['ls', '-ln', DATA_DIR]);
  return {
    target: {
      redis: {
        ssh: {
          host: '127.0.0.1',
          port: vm.port,
          user: login.user,
          hostKey: vm.hostKey,
          privateKeyFile: vm.privateKeyFile,
        },
        port: 6379,
        dataDir: DATA_DIR,
        serviceUser: SERVICE_USER,
        unit: UNIT,
        logDir: LOG_DIR,
        ...(login.sudo ? { sudo: true } : {}),
      },
    },
    evidence: [
      logLine,
      status,
      misconf,
      `process: ${ps.stdout.trim()}`,
      ...show.stdout.trim().split('\n'),
      ...ls.stdout.trim().split('\n'),
    ],
    redisCli: cli,
    redisLogs: logs,
    ssh: (command) => vm.ssh(login.user, command),
    vmExec: (argv) => vm.exec(argv),
  };
}

const onSystemd = 'Debian VM with real systemd as PID 1 (podman --systemd=always), over SSH';
export const hostScenarios = {
  'service-user-mismatch': {
    seed: '003',
    description: `${onSystemd}: a drop-in runs redis-server.service as autobot over a data dir of redis:redis; BGSAVE fails`,
    setup: (ctx) => serviceUserMismatch(ctx, { user: 'root', sudo: false }),
  },
  'service-user-sudo': {
    seed: '003',
    description: `${onSystemd}: the same fault, reached as ops, a non-root user with passwordless sudo (sudo: true)`,
    setup: (ctx) => serviceUserMismatch(ctx, { user: 'ops', sudo: true }),
  },
  'service-user-sudo-refused': {
    seed: '003',
    description: `${onSystemd}: the same fault, reached as guest, whom sudo refuses (sudo: true in the targets file)`,
    setup: (ctx) => serviceUserMismatch(ctx, { user: 'guest', sudo: true }),
  },
} satisfies Record<string, ScenarioDef>;
