import type Dockerode from 'dockerode';
import type { Action, Place } from '../runbooks/action.js';
import { RunbookBotError } from '../runbooks/errors.js';
import type { ExecResult } from '../runbooks/result.js';
import { Deadline, stoppedParts } from './deadline.js';
import { ContainerExecs } from './docker-exec.js';
import { runHelper } from './docker-helper.js';
import { classifyEngineError, demuxLogs, unreachableParts } from './docker-support.js';
import type { Executor, RunOptions } from './executor.js';
import {
  capturedParts,
  DEFAULT_MAX_OUTPUT_BYTES,
  makeResult,
  OutputCapture,
  type ResultParts,
} from './output.js';

export interface DockerExecutorOptions {
  /** The Redis container, when Redis runs in Docker (an SSH target has only client containers here). */
  redisContainer?: string;
  /** Client name → container name. */
  clients: ReadonlyMap<string, string>;
  /** How a client container reaches Redis (from the Redis container itself we use 127.0.0.1). */
  redisHost: string;
  redisPort: number;
  /** Read at each redis action so a rotated secret is picked up; undefined = no password. */
  redisPassword?: () => string | undefined;
  /** The ACL user redis-cli authenticates as (`--user`; a name, not a secret, so argv is fine). */
  redisUser?: string;
  /** Bytes kept per stream; the rest is dropped and the result says truncated. */
  maxOutputBytes?: number;
  /** Seconds `restart` waits for a clean stop before killing (Docker's default of 10 is long for Redis). */
  stopTimeoutSec?: number;
}

/** Runs actions in Docker (or Podman) containers through the Engine API. */
export class DockerExecutor implements Executor {
  private readonly maxBytes: number;
  private readonly execs: ContainerExecs;

  constructor(
    private readonly docker: Dockerode,
    private readonly opts: DockerExecutorOptions,
  ) {
    this.maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.execs = new ContainerExecs(docker, this.maxBytes);
  }

  containerOf(place: Place): string {
    const name = place.at === 'redis' ? this.opts.redisContainer : this.opts.clients.get(place.client);
    if (!name) {
      const where = place.at === 'redis' ? 'the Redis side' : `client "${place.client}"`;
      throw new RunbookBotError('EXECUTOR_MISCONFIGURED', `no container configured for ${where}`);
    }
    return name;
  }

  async run(action: Action, opts: RunOptions): Promise<ExecResult> {
    const startedAt = Date.now();
    const name = this.containerOf(action.place);
    const deadline = new Deadline(opts.timeoutMs, opts.signal);
    try {
      if (deadline.reason) return makeResult(startedAt, stoppedParts(deadline.reason, opts.timeoutMs));
      // exec, redis and helper handle the deadline themselves (they must kill what they started);
      // for plain API calls, stop waiting when it fires.
      const own = action.kind === 'exec' || action.kind === 'redis' || action.kind === 'helper';
      const exact = opts.exact === true;
      if (own) return makeResult(startedAt, await this.dispatch(action, name, deadline, exact));
      const outcome = await deadline.race(this.dispatch(action, name, deadline, exact));
      if (!outcome.done) return makeResult(startedAt, stoppedParts(outcome.reason, opts.timeoutMs));
      return makeResult(startedAt, outcome.value);
    } catch (e) {
      if (e instanceof RunbookBotError) throw e;
      if (deadline.reason) return makeResult(startedAt, stoppedParts(deadline.reason, opts.timeoutMs));
      const failure = classifyEngineError(e);
      if (failure.kind === 'other') return makeResult(startedAt, { exitCode: 1, stderr: failure.message });
      return makeResult(startedAt, unreachableParts(name, failure));
    } finally {
      deadline.dispose();
    }
  }

  private async dispatch(
    action: Action,
    name: string,
    deadline: Deadline,
    exact: boolean,
  ): Promise<ResultParts> {
    const container = this.docker.getContainer(name);
    const signal = deadline.signal;
    switch (action.kind) {
      case 'http-get':
        throw new RunbookBotError(
          'EXECUTOR_MISCONFIGURED',
          'http-get is run by the worker, not in a container',
        );
      case 'exec':
        return this.execs.run(container, action.argv, { user: action.user, env: [], deadline, exact });
      case 'redis': {
        const host = action.place.at === 'redis' ? '127.0.0.1' : this.opts.redisHost;
        const password = this.opts.redisPassword?.();
        // redis-cli reads REDISCLI_AUTH itself: the password never appears in argv or `ps`.
        const env = password ? [`REDISCLI_AUTH=${password}`] : [];
        const user = this.opts.redisUser ? ['--user', this.opts.redisUser] : [];
        const argv = ['redis-cli', '-h', host, '-p', String(this.opts.redisPort), ...user, ...action.args];
        return this.execs.run(container, argv, { user: undefined, env, deadline, exact });
      }
      case 'inspect': {
        const info = await container.inspect({ abortSignal: signal });
        return { exitCode: 0, stdout: JSON.stringify(info, null, 2) };
      }
      case 'logs': {
        const logs: unknown = await container.logs({
          stdout: true,
          stderr: true,
          follow: false,
          tail: action.tail,
          abortSignal: signal,
        });
        const out = new OutputCapture(this.maxBytes);
        const err = new OutputCapture(this.maxBytes);
        await demuxLogs(this.docker.modem, logs as Buffer | NodeJS.ReadableStream, out, err);
        return { exitCode: 0, ...capturedParts(out, err) };
      }
      case 'start':
        try {
          await container.start({ abortSignal: signal });
          return { exitCode: 0, stdout: `started ${name}` };
        } catch (e) {
          if (classifyEngineError(e).statusCode === 304)
            return { exitCode: 0, stdout: `${name} already running` };
          throw e;
        }
      case 'restart':
        await container.restart({ t: this.opts.stopTimeoutSec ?? 2, abortSignal: signal });
        return { exitCode: 0, stdout: `restarted ${name}` };
      case 'network-connect':
        return this.connect(name, action.network, signal);
      case 'helper':
        return runHelper(this.docker, name, action.argv, action.user, {
          deadline,
          maxBytes: this.maxBytes,
        });
    }
  }

  private async connect(name: string, network: string, signal: AbortSignal): Promise<ResultParts> {
    // A missing container must read as unreachable, not as a failed repair.
    await this.docker.getContainer(name).inspect({ abortSignal: signal });
    try {
      await this.docker.getNetwork(network).connect({ Container: name });
      return { exitCode: 0, stdout: `connected ${name} to ${network}` };
    } catch (e) {
      const f = classifyEngineError(e);
      if (f.kind === 'down') throw e;
      // Idempotent: a repair retried after a lost reply must not report failure.
      if (/already (exists|connected)|is already/i.test(f.message)) {
        return { exitCode: 0, stdout: `${name} already connected to ${network}` };
      }
      return { exitCode: 1, stderr: f.message };
    }
  }

  async close(): Promise<void> {
    // Dockerode keeps no connection open between calls.
  }
}
