// The deployment files (Dockerfile, docker-compose.yml, .env.example, targets.example.yaml, the Slack
// app manifest) are never run on this machine: it has no Docker engine. This test checks them
// against the code instead: the configuration each service's role requires, Redis persistence, who
// holds the Docker API and the SSH keys, the socket proxy's allowlist against the calls the Docker
// executors make, the non-root image and the Slack app's command and scopes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envSchema, parseConfig, type Role } from '../../src/config.js';
import { parseTargets } from '../../src/targets-file.js';

const root = new URL('../../', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, root), 'utf8');

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);
const asDict = (v: unknown, what: string): Dict => {
  if (!isDict(v)) throw new Error(`${what} is not a mapping`);
  return v;
};
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const strings = (v: unknown): string[] => asList(v).map(String);

/** KEY=VALUE lines of an env file; `#` lines are comments (also returned, for the documentation check). */
function parseEnvFile(text: string): { values: Record<string, string>; mentioned: Set<string> } {
  const values: Record<string, string> = {};
  const mentioned = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const commented = /^#\s*([A-Z_][A-Z0-9_]*)=/.exec(line);
    if (commented?.[1]) mentioned.add(commented[1]);
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m?.[1]) continue;
    values[m[1]] = (m[2] ?? '').replace(/^(['"])(.*)\1$/, '$2');
    mentioned.add(m[1]);
  }
  return { values, mentioned };
}

const envExample = parseEnvFile(read('.env.example'));

/** Compose interpolation of ${VAR}, ${VAR:-default}, ${VAR-default}; Compose reads .env for it. */
function interpolate(s: string, vars: Readonly<Record<string, string>>): string {
  return s.replace(
    /\$\{([A-Z_][A-Z0-9_]*)(?:(:?-)([^}]*))?\}/g,
    (_m, name: string, op?: string, def?: string) => {
      const v = vars[name];
      if (op === ':-') return v ? v : (def ?? '');
      if (op === '-') return v ?? def ?? '';
      return v ?? '';
    },
  );
}

const compose = asDict(parse(read('docker-compose.yml')), 'docker-compose.yml');
const services = asDict(compose.services, 'services');
const service = (name: string) => asDict(services[name], `service ${name}`);
const topVolumes = asDict(compose.volumes ?? {}, 'volumes');

/** The environment a service's process sees: its env_file(s) (.env -> .env.example), then `environment:`. */
function serviceEnv(name: string): Record<string, string> {
  const s = service(name);
  const env: Record<string, string> = {};
  for (const f of asList(s.env_file)) {
    const path = isDict(f) ? String(f.path) : String(f);
    const file = path.replace(/^\.\//, '') === '.env' ? '.env.example' : path;
    Object.assign(env, parseEnvFile(read(file)).values);
  }
  const e = s.environment;
  if (Array.isArray(e))
    for (const item of e.map(String)) {
      const [k, ...v] = item.split('=');
      if (k) env[k] = interpolate(v.join('='), envExample.values);
    }
  else if (isDict(e))
    for (const [k, v] of Object.entries(e))
      env[k] = interpolate(v == null ? '' : String(v), envExample.values);
  return env;
}

function roleOf(name: string): Role {
  const cmd = strings(service(name).command);
  const i = cmd.indexOf('--role');
  expect(cmd[0], `${name} runs serve`).toBe('serve');
  const role = i < 0 ? 'all' : cmd[i + 1];
  if (role !== 'all' && role !== 'bot' && role !== 'worker') throw new Error(`${name}: bad role ${role}`);
  return role;
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  named: boolean;
}

function mounts(name: string): Mount[] {
  return asList(service(name).volumes).map((v) => {
    if (isDict(v)) {
      const source = String(v.source ?? '');
      return {
        source,
        target: String(v.target),
        readOnly: v.read_only === true,
        named: v.type === 'volume' || (v.type === undefined && source in topVolumes),
      };
    }
    const [source = '', target = '', mode = ''] = interpolate(String(v), envExample.values).split(':');
    return {
      source,
      target,
      readOnly: mode.split(',').includes('ro'),
      named: !source.startsWith('/') && !source.startsWith('.') && source in topVolumes,
    };
  });
}

/** The mount a container path lies under, and the path relative to that mount. */
function mountFor(name: string, path: string): { mount: Mount; rest: string } | undefined {
  const hits = mounts(name)
    .filter((m) => path === m.target || path.startsWith(`${m.target.replace(/\/$/, '')}/`))
    .sort((a, b) => b.target.length - a.target.length);
  const mount = hits[0];
  return mount ? { mount, rest: path.slice(mount.target.length) } : undefined;
}

const APP_SERVICES = ['bot', 'worker'] as const;

describe('docker-compose.yml provides what src/config.ts requires', () => {
  it('bot and worker run the expected roles', () => {
    expect(roleOf('bot')).toBe('bot');
    expect(roleOf('worker')).toBe('worker');
  });

  for (const name of APP_SERVICES)
    it(`parseConfig accepts the ${name} service's environment for its role`, () => {
      const result = parseConfig(serviceEnv(name), roleOf(name));
      expect(result.ok ? [] : result.errors).toEqual([]);
    });

  it('the check has teeth: without the env file the bot role is refused, naming the variables', () => {
    const result = parseConfig({}, 'bot');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toMatch(/SLACK_BOT_TOKEN[\s\S]*SLACK_SIGNING_SECRET/);
  });

  it('.env.example documents every variable src/config.ts reads', () => {
    const missing = Object.keys(envSchema.shape).filter((k) => !envExample.mentioned.has(k));
    expect(missing).toEqual([]);
  });

  it('.env.example holds placeholders, not secrets', () => {
    const v = envExample.values;
    expect(v.SLACK_BOT_TOKEN).toMatch(/REPLACE-ME/);
    expect(v.SLACK_SIGNING_SECRET).toMatch(/REPLACE-ME/);
    expect(v.SLACK_APP_TOKEN ?? '').toBe('');
  });

  it('the worker gets no Slack credentials', () => {
    const parsed = parseConfig(serviceEnv('worker'), 'worker');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.config.SLACK_BOT_TOKEN).toBeUndefined();
      expect(parsed.config.SLACK_SIGNING_SECRET).toBeUndefined();
      expect(parsed.config.SLACK_APP_TOKEN).toBeUndefined();
    }
  });

  it('bot and worker agree on the bot Redis and the queue prefix, and reach the redis service', () => {
    const bot = parseConfig(serviceEnv('bot'), 'bot');
    const worker = parseConfig(serviceEnv('worker'), 'worker');
    if (!bot.ok || !worker.ok) throw new Error('configuration refused');
    expect(worker.config.REDIS_URL).toBe(bot.config.REDIS_URL);
    expect(worker.config.QUEUE_PREFIX).toBe(bot.config.QUEUE_PREFIX);
    expect(new URL(bot.config.REDIS_URL).hostname).toBe('redis');
    for (const name of APP_SERVICES) {
      const dep = asDict(service(name).depends_on, `${name}.depends_on`);
      expect(asDict(dep.redis, 'redis dependency').condition).toBe('service_healthy');
    }
  });

  it('the bot publishes the PORT it listens on', () => {
    const bot = parseConfig(serviceEnv('bot'), 'bot');
    if (!bot.ok) throw new Error('configuration refused');
    const ports = strings(service('bot').ports).map((p) => interpolate(p, envExample.values));
    expect(ports.some((p) => p.split(':').at(-1) === String(bot.config.PORT))).toBe(true);
    expect(service('worker').ports).toBeUndefined();
  });

  for (const name of APP_SERVICES)
    it(`${name}: TARGETS_FILE is a read-only mount of the operator's targets file`, () => {
      const env = serviceEnv(name);
      const at = mountFor(name, env.TARGETS_FILE ?? '');
      expect(at?.rest).toBe('');
      expect(at?.mount.readOnly).toBe(true);
      expect(at?.mount.source).toMatch(/targets\.yaml$/);
    });

  it('the bot writes reports to a named volume', () => {
    const at = mountFor('bot', serviceEnv('bot').REPORTS_DIR ?? '');
    expect(at?.mount.named).toBe(true);
  });
});

describe("the bot's Redis", () => {
  const redis = service('redis');

  it('persists with AOF (appendonly yes)', () => {
    const cmd = strings(redis.command).join(' ');
    const confMount = mounts('redis').find((m) => m.target.endsWith('.conf'));
    const conf = confMount ? read(confMount.source.replace(/^\.\//, '')) : '';
    expect(/--appendonly\s+yes\b/.test(cmd) || /^\s*appendonly\s+yes\b/m.test(conf)).toBe(true);
  });

  it('never evicts BullMQ keys', () => {
    expect(strings(redis.command).join(' ')).toMatch(/--maxmemory-policy\s+noeviction/);
  });

  it('keeps /data on a named volume', () => {
    const data = mounts('redis').find((m) => m.target === '/data');
    expect(data?.named).toBe(true);
  });

  it('has a redis-cli ping healthcheck', () => {
    const hc = asDict(redis.healthcheck, 'redis.healthcheck');
    expect(strings(hc.test).join(' ')).toMatch(/redis-cli\b.*\bping/);
  });

  it('is not published on the host', () => {
    expect(redis.ports).toBeUndefined();
    expect(redis.network_mode).toBeUndefined();
  });
});

// What src/executors/docker-*.ts call on dockerode objects, and the Engine API request each makes.
const DOCKERODE_CALLS: Record<string, readonly [method: string, path: string][]> = {
  getContainer: [],
  getNetwork: [],
  inspect: [
    ['GET', '/containers/rbb-1a2b3c-redis/json'],
    ['GET', '/exec/0123456789abcdef/json'],
  ],
  logs: [['GET', '/containers/qpp_redis.1/logs']],
  exec: [['POST', '/containers/qpp-redis/exec']],
  start: [
    ['POST', '/containers/qpp-redis/start'],
    ['POST', '/exec/0123456789abcdef/start'],
  ],
  restart: [['POST', '/containers/qpp-redis/restart']],
  createContainer: [['POST', '/containers/create']],
  wait: [['POST', '/containers/rbb-helper-0a1b2c3d4e5f/wait']],
  kill: [['POST', '/containers/rbb-helper-0a1b2c3d4e5f/kill']],
  remove: [['DELETE', '/containers/rbb-helper-0a1b2c3d4e5f']],
  connect: [['POST', '/networks/rbb-1a2b3c-net-a/connect']],
};

const proxy = service('docker-socket-proxy');
const proxyFlags = strings(proxy.command);
const flag = (name: string) =>
  proxyFlags.filter((f) => f.startsWith(`-${name}=`)).map((f) => f.slice(name.length + 2));
/** The proxy anchors every pattern with ^…$ (Go regexp; these patterns are in the common subset). */
const allowed = (method: string, path: string) =>
  flag(`allow${method}`).some((re) => new RegExp(`^(?:${re})$`).test(path));

describe('the worker, not the bot, gets the Docker API and the SSH keys', () => {
  it('the worker talks to the proxy through a socket in a volume only the proxy and it share', () => {
    const worker = parseConfig(serviceEnv('worker'), 'worker');
    if (!worker.ok) throw new Error('configuration refused');
    const socketPath = worker.config.DOCKER_HOST.slice('unix://'.length);
    const inWorker = mountFor('worker', socketPath);
    expect(inWorker?.mount.named).toBe(true);
    const [endpoint] = flag('proxysocketendpoint');
    const inProxy = mountFor('docker-socket-proxy', endpoint ?? '');
    expect(inProxy?.mount.source).toBe(inWorker?.mount.source);
    expect(inProxy?.rest).toBe(inWorker?.rest);
    const sharers = Object.keys(services).filter((s) =>
      mounts(s).some((m) => m.source === inWorker?.mount.source),
    );
    expect(sharers.sort()).toEqual(['docker-socket-proxy', 'worker']);
  });

  it("only the proxy mounts the engine's socket, read-only, and it has no network", () => {
    for (const name of Object.keys(services)) {
      const engine = mounts(name).filter((m) => /docker\.sock$|podman\.sock$/.test(m.source));
      if (name === 'docker-socket-proxy') expect(engine.map((m) => m.readOnly)).toEqual([true]);
      else expect(engine, name).toEqual([]);
    }
    expect(proxy.network_mode).toBe('none');
    expect(proxy.ports).toBeUndefined();
  });

  it('the worker waits for the proxy to be healthy', () => {
    const dep = asDict(service('worker').depends_on, 'worker.depends_on');
    expect(asDict(dep['docker-socket-proxy'], 'proxy dependency').condition).toBe('service_healthy');
  });

  it('the SSH keys are mounted read-only into the worker only, where the example targets point', () => {
    const targets = parseTargets(read('targets.example.yaml'), 'targets.example.yaml');
    if (!targets.ok) throw new Error(targets.errors.join('\n'));
    const keyFiles = targets.targets
      .names()
      .flatMap((n) => targets.targets.config(n)?.redis.ssh?.privateKeyFile ?? []);
    expect(keyFiles.length).toBeGreaterThan(0);
    for (const key of keyFiles) {
      const at = mountFor('worker', key);
      expect(at?.mount.readOnly, key).toBe(true);
      expect(at?.mount.named, key).toBe(false);
      for (const other of Object.keys(services).filter((s) => s !== 'worker'))
        expect(mountFor(other, key), `${other} must not see ${key}`).toBeUndefined();
    }
  });

  it('every passwordEnv of the example targets is in .env.example, which both roles read', () => {
    const targets = parseTargets(read('targets.example.yaml'), 'targets.example.yaml');
    if (!targets.ok) throw new Error(targets.errors.join('\n'));
    for (const name of targets.targets.secretEnvNames())
      expect(envExample.mentioned.has(name), name).toBe(true);
    for (const s of APP_SERVICES) expect(strings(service(s).env_file)).toContain('.env');
  });
});

describe("the socket proxy allows exactly the executors' Docker API calls", () => {
  it('the executors call only dockerode methods listed here (add new ones here and to the proxy)', () => {
    const src = ['docker-executor.ts', 'docker-helper.ts', 'docker-support.ts']
      .map((f) => read(`src/executors/${f}`))
      .join('\n');
    const called = new Set<string>();
    for (const m of src.matchAll(
      /\b(?:container|helper|exec|killer|docker|this\.docker)\.(\w+)\(|get(?:Container|Network)\([^)]*\)\.(\w+)\(/g,
    ))
      called.add(m[1] ?? m[2] ?? '');
    expect([...called].filter((c) => !(c in DOCKERODE_CALLS))).toEqual([]);
    expect(called.size).toBeGreaterThan(8);
  });

  for (const [call, requests] of Object.entries(DOCKERODE_CALLS))
    for (const [method, path] of requests)
      it(`${call}: ${method} ${path} (also with /v1.43)`, () => {
        expect(allowed(method, path)).toBe(true);
        expect(allowed(method, `/v1.43${path}`)).toBe(true);
      });

  it.each([
    ['GET', '/containers/json'], // listing every container
    ['GET', '/info'],
    ['GET', '/images/json'],
    ['POST', '/images/create'], // pull
    ['POST', '/build'],
    ['POST', '/volumes/create'],
    ['POST', '/containers/qpp-redis/update'],
    ['POST', '/containers/qpp-redis/archive'],
    ['PUT', '/containers/qpp-redis/archive'],
    ['POST', '/networks/create'],
    ['POST', '/networks/net/disconnect'],
    ['DELETE', '/networks/net'],
    ['DELETE', '/images/redis:7'],
    ['POST', '/swarm/init'],
    ['GET', '/containers/x/json/../../../info'],
  ])('refuses %s %s', (method, path) => {
    expect(allowed(method, path)).toBe(false);
  });

  it('enables no other HTTP method and refuses bind mounts in create requests', () => {
    const methods = proxyFlags.flatMap((f) => /^-allow([A-Z]+)=/.exec(f)?.[1] ?? []);
    expect([...new Set(methods)].sort()).toEqual(['DELETE', 'GET', 'POST']);
    expect(flag('allowbindmountfrom')).toHaveLength(1);
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile').replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((l) => l.trim());
  const stages: string[][] = [];
  for (const l of lines) {
    if (/^FROM\s/i.test(l)) stages.push([]);
    if (l && !l.startsWith('#')) stages.at(-1)?.push(l);
  }
  const final = stages.at(-1) ?? [];

  it('is multi-stage: builds with all dependencies, runs with production ones only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/npm ci\b/);
    expect(text).toMatch(/npm run build/);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(final.some((l) => /^COPY --from=\S+.*\bdist\b/.test(l))).toBe(true);
  });

  it('its final stage runs as a non-root user', () => {
    const users = final.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1] ?? '');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('runs the CLI, serve by default', () => {
    expect(final).toContain('ENTRYPOINT ["node", "dist/cli.js"]');
    expect(final).toContain('CMD ["serve"]');
  });

  it('.dockerignore keeps secrets and local state out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const p of ['.env', 'node_modules', 'targets.yaml', 'ssh', '.git']) expect(ignored).toContain(p);
    // The tools beside the product and the tests are not part of the image.
    for (const p of ['tools', 'test']) expect(ignored).toContain(p);
    expect(text).not.toMatch(/COPY\s+(tools|test)\b/);
  });
});

describe('slack-app-manifest.yml', () => {
  const manifest = asDict(parse(read('slack-app-manifest.yml')), 'manifest');
  const features = asDict(manifest.features, 'features');
  const settings = asDict(manifest.settings, 'settings');

  it('declares /incident on /slack/events with the usage hint', () => {
    const commands = asList(features.slash_commands).map((c) => asDict(c, 'slash command'));
    const incident = commands.find((c) => c.command === '/incident');
    expect(incident?.url).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
    expect(incident?.usage_hint).toBe('run <runbook> <target> | status | list | cancel | report | help');
  });

  it('sends interactivity (Approve / Reject) to the same endpoint', () => {
    const interactivity = asDict(settings.interactivity, 'interactivity');
    expect(interactivity.is_enabled).toBe(true);
    const command = asList(features.slash_commands).map((c) => asDict(c, 'slash command'))[0];
    expect(interactivity.request_url).toBe(command?.url);
  });

  it('asks for the scopes of the Web API methods the bot calls, and HTTP mode by default', () => {
    const scopes = strings(asDict(asDict(manifest.oauth_config, 'oauth_config').scopes, 'scopes').bot);
    // commands: /incident; chat:write: postMessage, update, postEphemeral; files:write: the
    // external upload flow (getUploadURLExternal, completeUploadExternal).
    expect(scopes).toEqual(expect.arrayContaining(['commands', 'chat:write', 'files:write']));
    expect(settings.socket_mode_enabled).toBe(false);
  });
});
