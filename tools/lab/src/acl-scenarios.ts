// Seed 002's ACL parts as real Redis containers: "Redis ACL users were not properly loaded
// initially" and "Redis secrets were not properly mounted in first attempt". The app user's
// password is random per scenario and reaches Redis only through the ACL file; the target names
// the user (`username`) and the env var that holds the password.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLIENT_CMD,
  type CommandOutput,
  containerLogs,
  createNetwork,
  execIn,
  LAB_IMAGE,
  LAB_LABEL,
  runContainer,
  waitFor,
} from './docker.js';
import { matchingLine, REDIS_BASE_ARGS, SAVE_POINTS, waitForExit } from './docker-redis.js';
import type { CliOptions, ScenarioContext, ScenarioDef, ScenarioParts } from './types.js';

export const ACL_USER = 'app';
/** Where the secret is mounted in the Redis container, as compose's `secrets:` would put it. */
export const ACL_PATH = '/run/secrets/redis-users.acl';

const aclText = (password: string) => `user default off\nuser ${ACL_USER} on >${password} ~* &* +@all\n`;

export interface AclRedis {
  redis: string;
  client: string;
  network: string;
  /** The host file mounted at ACL_PATH (absent when the mount is). */
  aclHostFile: string;
  password: string;
  passwordEnv: string;
  /** Compose's labels on the container, and the compose file that declares its mount. */
  compose: { project: string; dir: string; file: string };
  cli(args: readonly string[], opts?: CliOptions): Promise<CommandOutput>;
}

/** The Redis container as `docker compose up` would make it: its labels, and the secret's bind. */
export async function createAclRedis(ctx: ScenarioContext, a: AclRedis, mounted: boolean): Promise<void> {
  const c = await ctx.docker.createContainer({
    name: a.redis,
    Image: LAB_IMAGE,
    Cmd: [...REDIS_BASE_ARGS, ...SAVE_POINTS, '--aclfile', ACL_PATH],
    Labels: {
      [LAB_LABEL]: ctx.prefix,
      'com.docker.compose.project': a.compose.project,
      'com.docker.compose.service': 'redis',
      'com.docker.compose.project.working_dir': a.compose.dir,
      'com.docker.compose.project.config_files': a.compose.file,
    },
    StopTimeout: 1,
    HostConfig: {
      NetworkMode: a.network,
      ...(mounted ? { Binds: [`${a.aclHostFile}:${ACL_PATH}:ro`] } : {}),
    },
  });
  await c.start();
}

/** `file`: the ACL file's text at start; `mounted`: whether the secret's mount is there. */
async function aclRedis(
  ctx: ScenarioContext,
  file: (password: string) => string,
  mounted = true,
): Promise<AclRedis> {
  const network = ctx.name('net');
  await createNetwork(ctx.docker, network, ctx.prefix);
  const password = randomBytes(12).toString('hex');
  const dir = ctx.hostPath('compose');
  await mkdir(dir, { recursive: true });
  const aclHostFile = join(dir, 'redis-users.acl');
  const a: AclRedis = {
    redis: ctx.name('redis'),
    client: ctx.name('app'),
    network,
    aclHostFile,
    password,
    passwordEnv: `${ctx.prefix.replaceAll('-', '_').toUpperCase()}REDIS_APP_PASSWORD`,
    compose: { project: `${ctx.prefix}lab`, dir, file: join(dir, 'compose.yaml') },
    cli: async (args, opts: CliOptions = {}) => {
      const fromClient = opts.from === 'client';
      // A password is the app user's: the default user has none to give.
      const user = opts.password !== undefined ? ['--user', ACL_USER] : [];
      const argv = ['redis-cli', '-h', fromClient ? a.redis : '127.0.0.1', '-p', '6379', ...user, ...args];
      return execIn(ctx.docker, fromClient ? a.client : a.redis, argv, {
        timeoutSec: opts.timeoutSec ?? 10,
        ...(opts.password !== undefined ? { env: [`REDISCLI_AUTH=${opts.password}`] } : {}),
      });
    },
  };
  // What the deployment says: the compose file names the secret; the file is its source.
  await writeFile(
    a.compose.file,
    [
      'services:',
      '  redis:',
      `    image: ${LAB_IMAGE}`,
      `    command: [${[...REDIS_BASE_ARGS, ...SAVE_POINTS, '--aclfile', ACL_PATH].map((x) => JSON.stringify(x)).join(', ')}]`,
      '    secrets: [redis-users.acl]',
      'secrets:',
      '  redis-users.acl:',
      '    file: ./redis-users.acl',
      '',
    ].join('\n'),
  );
  // The secret's source is on the host either way; only the mount may be missing. Redis runs as 999.
  await writeFile(aclHostFile, file(password));
  await chmod(aclHostFile, 0o644);
  await createAclRedis(ctx, a, mounted);
  await runContainer(ctx.docker, { name: a.client, prefix: ctx.prefix, network, cmd: CLIENT_CMD });
  return a;
}

const partsOf = (ctx: ScenarioContext, a: AclRedis, evidence: string[]): ScenarioParts => ({
  target: {
    redis: { docker: { container: a.redis }, port: 6379, username: ACL_USER, passwordEnv: a.passwordEnv },
    clients: [{ name: 'app', docker: { container: a.client } }],
  },
  env: { [a.passwordEnv]: a.password },
  redisPassword: a.password,
  evidence,
  redisCli: a.cli,
  redisLogs: () => containerLogs(ctx.docker, a.redis),
});

const reply = (a: AclRedis, args: readonly string[], want: RegExp, opts: CliOptions = {}) =>
  waitFor(`redis-cli ${args.join(' ')} to answer ${want}`, async () => {
    const r = await a.cli(args, opts);
    return matchingLine(`${r.stdout}\n${r.stderr}`, want);
  });

async function aclOnly(ctx: ScenarioContext): Promise<ScenarioParts> {
  const a = await aclRedis(ctx, aclText);
  const pong = await reply(a, ['PING'], /^PONG$/, { from: 'client', password: a.password });
  const closed = await reply(a, ['PING'], /NOAUTH/, { from: 'client' });
  return partsOf(ctx, a, [`as ${ACL_USER}: ${pong}`, `without a login: ${closed}`]);
}

async function aclNotLoaded(ctx: ScenarioContext): Promise<ScenarioParts> {
  // The secret was rendered after Redis had started: at start the file was empty, so Redis has only
  // its built-in default user (on, no password) and no app user.
  const a = await aclRedis(ctx, () => '');
  await reply(a, ['PING'], /^PONG$/);
  // Same inode (the bind follows it): the file now says what it should, and Redis has not read it.
  await writeFile(a.aclHostFile, aclText(a.password));
  const users = await reply(a, ['ACL', 'USERS'], /^default$/);
  const refused = await reply(a, ['PING'], /WRONGPASS/, { from: 'client', password: a.password });
  return partsOf(ctx, a, [`ACL USERS → ${users}`, refused]);
}

async function aclfileMissing(ctx: ScenarioContext): Promise<ScenarioParts> {
  // The first attempt started Redis without its secrets: the aclfile it names is not there.
  const a = await aclRedis(ctx, aclText, false);
  const state = await waitForExit(ctx, a.redis);
  const line = await waitFor('the ACL error in the log', async () =>
    matchingLine(await containerLogs(ctx.docker, a.redis), /Aborting Redis startup because of ACL errors/),
  );
  return partsOf(ctx, a, [line, `${state.status} (exit code ${state.exitCode})`]);
}

export const aclScenarios = {
  'acl-only': {
    seed: '002',
    description: 'default user off, the app user from a mounted aclfile; the target names the user: healthy',
    setup: aclOnly,
  },
  'acl-not-loaded': {
    seed: '002',
    description:
      'the aclfile was written after Redis started: only the default user is loaded, the app gets WRONGPASS',
    setup: aclNotLoaded,
  },
  'aclfile-missing': {
    seed: '002',
    description: 'Redis names an aclfile whose secret mount is absent: it exits at start',
    setup: aclfileMissing,
  },
} satisfies Record<string, ScenarioDef>;
