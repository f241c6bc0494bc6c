import type Dockerode from 'dockerode';
import type { Action } from '../runbooks/action.js';
import { RunbookBotError } from '../runbooks/errors.js';
import { redact, redactValue } from '../runbooks/redact.js';
import type { ExecResult } from '../runbooks/result.js';
import { type TargetConfig, viewOfTarget } from '../runbooks/target.js';
import { type DirectAddress, DirectRedis, directRead } from './direct-redis.js';
import { DockerExecutor } from './docker-executor.js';
import type { Executor, RunOptions } from './executor.js';
import { httpGet } from './http-probe.js';
import { cutUtf8, DEFAULT_MAX_OUTPUT_BYTES } from './output.js';
import { SshExecutor } from './ssh-executor.js';

export interface TargetExecutorDeps {
  /** Needed when the target has any container (its Redis or a client). */
  docker?: Dockerode;
  /** Resolves a secret by the env var name the targets file gives; injected so this folder reads no env. */
  secretOf: (envName: string) => string | undefined;
  /** Bytes kept per stream in a result (default 64 KiB). */
  maxOutputBytes?: number;
}

// Executors capture this much beyond the cap, so a credential pattern straddling the cut (a PEM
// key is the longest thing we expect to meet) is redacted whole before the cut is made.
const REDACTION_SLACK_BYTES = 16 * 1024;

/**
 * The executor for one named target: routes each action to Docker or SSH by its place, supplies
 * the Redis password out of band, and caps and redacts everything before it leaves this folder.
 */
export class TargetExecutor implements Executor {
  private readonly docker: DockerExecutor | undefined;
  private readonly ssh: SshExecutor | undefined;
  private readonly direct: DirectRedis | undefined;
  private readonly maxBytes: number;

  constructor(
    readonly name: string,
    private readonly target: TargetConfig,
    private readonly deps: TargetExecutorDeps,
  ) {
    this.maxBytes = deps.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const captureBytes = this.maxBytes + REDACTION_SLACK_BYTES;
    const view = viewOfTarget(name, target);
    const redisPassword = () => this.password();
    const needsDocker = target.redis.docker !== undefined || target.clients.length > 0;
    if (needsDocker) {
      if (!deps.docker) {
        throw new RunbookBotError(
          'EXECUTOR_MISCONFIGURED',
          `target ${name} has containers but no Docker client`,
        );
      }
      this.docker = new DockerExecutor(deps.docker, {
        ...(target.redis.docker ? { redisContainer: target.redis.docker.container } : {}),
        clients: new Map(view.clients.map((c) => [c.name, c.container])),
        redisHost: view.redis.host,
        redisPort: target.redis.port,
        redisPassword,
        ...(target.redis.username ? { redisUser: target.redis.username } : {}),
        maxOutputBytes: captureBytes,
      });
    }
    const direct = target.redis.direct;
    if (direct !== undefined) {
      const container = target.redis.docker?.container;
      const address = async (): Promise<DirectAddress | undefined> =>
        direct === true
          ? containerAddress(deps.docker, container, target.redis.port)
          : { host: direct.host, port: direct.port ?? target.redis.port };
      this.direct = new DirectRedis({
        address,
        password: redisPassword,
        ...(target.redis.username ? { username: target.redis.username } : {}),
      });
    }
    if (target.redis.ssh) {
      this.ssh = new SshExecutor({
        endpoint: target.redis.ssh,
        redisPort: target.redis.port,
        ...(target.redis.logFile ? { logFile: target.redis.logFile } : {}),
        ...(view.redis.unit ? { unit: view.redis.unit } : {}),
        ...(target.redis.sudo ? { sudo: true } : {}),
        redisPassword,
        ...(target.redis.username ? { redisUser: target.redis.username } : {}),
        maxOutputBytes: captureBytes,
      });
    }
  }

  async run(action: Action, opts: RunOptions): Promise<ExecResult> {
    if (action.kind === 'http-get') return this.clean(await httpGet(action.url, opts, this.maxBytes));
    const started = Date.now();
    if (
      this.direct &&
      !opts.exact &&
      action.kind === 'redis' &&
      action.place.at === 'redis' &&
      directRead(action.args)
    ) {
      const r = await this.direct.read(action.args, opts.timeoutMs);
      if (r) return this.clean(r);
      // Not answered cleanly: redis-cli in an exec reads it, within what is left of the deadline.
      opts = { ...opts, timeoutMs: Math.max(1, opts.timeoutMs - (Date.now() - started)) };
    }
    const executor = action.place.at === 'redis' && this.ssh ? this.ssh : this.docker;
    if (!executor) {
      throw new RunbookBotError(
        'EXECUTOR_MISCONFIGURED',
        `target ${this.name} has no executor for this place`,
      );
    }
    return this.clean(await executor.run(action, opts));
  }

  private password(): string | undefined {
    const env = this.target.redis.passwordEnv;
    if (env === undefined) return undefined;
    const value = this.deps.secretOf(env);
    if (value === undefined || value === '') {
      throw new RunbookBotError('EXECUTOR_MISCONFIGURED', `target ${this.name}: ${env} is not set`);
    }
    return value;
  }

  /**
   * Redacts credential patterns (a password on a command line, in a config line, a key), then
   * caps; the order matters, see REDACTION_SLACK_BYTES. Known secret values are left for the
   * engine to redact from what it stores: replaced here, a password such as "ok" would erase
   * `rdb_last_bgsave_status:ok` before any analyzer read it.
   */
  private clean(r: ExecResult): ExecResult {
    const stdout = cutUtf8(redactOutput(r.stdout), this.maxBytes);
    const stderr = cutUtf8(redact(r.stderr, []), this.maxBytes);
    const truncated = r.truncated || stdout.cut || stderr.cut;
    return {
      ...r,
      stdout: stdout.text,
      stderr: stderr.text,
      truncated,
      ...(r.error !== undefined ? { error: redact(r.error, []) } : {}),
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.docker?.close(), this.ssh?.close(), this.direct?.close()]);
  }
}

/** The container's address on its first network that gives one (none while it is stopped). */
async function containerAddress(
  docker: Dockerode | undefined,
  container: string | undefined,
  port: number,
): Promise<DirectAddress | undefined> {
  if (!docker || !container) return undefined;
  const info = await docker.getContainer(container).inspect();
  if (!info.State.Running) return undefined;
  const nets = Object.values(info.NetworkSettings.Networks ?? {});
  const host = nets.map((n) => n.IPAddress).find((ip) => ip);
  return host ? { host, port } : undefined;
}

/** JSON output (inspect) is redacted value by value so that it stays valid JSON. */
function redactOutput(text: string): string {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return JSON.stringify(redactValue(parsed, []), null, 2);
    } catch {
      // Not JSON after all: fall through to plain-text redaction.
    }
  }
  return redact(text, []);
}
