import { randomUUID } from 'node:crypto';
import type Dockerode from 'dockerode';
import type { Action, Place } from '../runbooks/action.js';
import { RunbookBotError } from '../runbooks/errors.js';
import type { ExecResult } from '../runbooks/result.js';
import { Deadline, sleep, stoppedParts } from './deadline.js';
import { runHelper } from './docker-helper.js';
import { classifyEngineError, demuxInto, demuxLogs, unreachableParts } from './docker-support.js';
import type { Executor, RunOptions } from './executor.js';
import {
  capturedParts,
  DEFAULT_MAX_OUTPUT_BYTES,
  makeResult,
  OutputCapture,
  type ResultParts,
} from './output.js';
import { killByMarkerArgv, MARKER_VAR, timeoutSeconds, withTimeout } from './remote-command.js';

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

// After the client deadline fires we kill the command, then give its stream this long to end.
const KILL_GRACE_MS = 3000;

/** Runs actions in Docker (or Podman) containers through the Engine API. */
// The `timeout` probe is `timeout -s KILL 5 true`: an image that has it answers at once.
const PROBE_MS = 10_000;

export class DockerExecutor implements Executor {
  private readonly maxBytes: number;
  // Whether a container's image has a `timeout` that accepts `-s KILL N`, learnt once per container.
  private readonly hasTimeout = new Map<string, Promise<boolean>>();

  constructor(
    private readonly docker: Dockerode,
    private readonly opts: DockerExecutorOptions,
  ) {
    this.maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
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
      if (own) return makeResult(startedAt, await this.dispatch(action, name, deadline));
      const outcome = await deadline.race(this.dispatch(action, name, deadline));
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

  private async dispatch(action: Action, name: string, deadline: Deadline): Promise<ResultParts> {
    const container = this.docker.getContainer(name);
    const signal = deadline.signal;
    switch (action.kind) {
      case 'http-get':
        throw new RunbookBotError(
          'EXECUTOR_MISCONFIGURED',
          'http-get is run by the worker, not in a container',
        );
      case 'exec':
        return this.exec(container, action.argv, action.user, [], deadline);
      case 'redis': {
        const host = action.place.at === 'redis' ? '127.0.0.1' : this.opts.redisHost;
        const password = this.opts.redisPassword?.();
        // redis-cli reads REDISCLI_AUTH itself: the password never appears in argv or `ps`.
        const env = password ? [`REDISCLI_AUTH=${password}`] : [];
        const user = this.opts.redisUser ? ['--user', this.opts.redisUser] : [];
        const argv = ['redis-cli', '-h', host, '-p', String(this.opts.redisPort), ...user, ...action.args];
        return this.exec(container, argv, undefined, env, deadline);
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

  private async exec(
    container: Dockerode.Container,
    argv: readonly string[],
    user: string | undefined,
    env: readonly string[],
    deadline: Deadline,
  ): Promise<ResultParts> {
    const wrap = await this.timeoutAvailable(container, deadline);
    const cmd = wrap ? withTimeout(argv, deadline.timeoutMs) : [...argv];
    const marker = randomUUID();
    const exec = await container.exec({
      Cmd: cmd,
      Env: [...env, `${MARKER_VAR}=${marker}`],
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      ...(user ? { User: user } : {}),
    });
    const started = Date.now();
    const stream = await exec.start({ hijack: true, stdin: false });
    const out = new OutputCapture(this.maxBytes);
    const err = new OutputCapture(this.maxBytes);
    const ended = demuxInto(this.docker.modem, stream, out, err);
    const outcome = await deadline.race(ended);
    if (!outcome.done) {
      // Closing our end of the stream does not stop the process: kill it and its children.
      await this.killMarked(container, marker, user);
      const gone = await Promise.race([ended.then(() => true), sleep(KILL_GRACE_MS).then(() => false)]);
      stream.destroy();
      const note = gone ? undefined : 'the command may still be running';
      return { ...stoppedParts(outcome.reason, deadline.timeoutMs, note), ...capturedParts(out, err) };
    }
    const info = await exec.inspect();
    const exitCode = info.ExitCode;
    // The target's own `timeout` may fire a moment before ours.
    const killedByTimeout =
      wrap && exitCode === 137 && Date.now() - started >= timeoutSeconds(deadline.timeoutMs) * 1000 - 50;
    if (killedByTimeout)
      return { ...stoppedParts('timeout', deadline.timeoutMs), ...capturedParts(out, err) };
    return { exitCode: exitCode ?? null, ...capturedParts(out, err) };
  }

  // As the command's own user: a container's root lacks CAP_SYS_PTRACE and so cannot read the
  // environment of another user's process.
  private async killMarked(container: Dockerode.Container, marker: string, user?: string): Promise<void> {
    try {
      const killer = await container.exec({
        Cmd: killByMarkerArgv(marker),
        ...(user ? { User: user } : {}),
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await killer.start({ hijack: true, stdin: false });
      const sink = new OutputCapture(1024);
      await Promise.race([demuxInto(this.docker.modem, stream, sink, sink), sleep(KILL_GRACE_MS)]);
    } catch {
      // Best effort: the `timeout` wrapper still stops the command at the deadline.
    }
  }

  /**
   * One probe per container, shared by every action that needs the answer meanwhile (parallel steps
   * into one container would each start their own otherwise). The probe keeps its own deadline; a
   * caller's deadline only stops that caller's wait. An unanswered probe is forgotten, so the next
   * action asks again.
   */
  private async timeoutAvailable(container: Dockerode.Container, deadline: Deadline): Promise<boolean> {
    let known = this.hasTimeout.get(container.id);
    if (!known) {
      known = this.probeTimeout(container).then((ok) => {
        if (ok === undefined) this.hasTimeout.delete(container.id);
        return ok ?? false;
      });
      this.hasTimeout.set(container.id, known);
    }
    const outcome = await deadline.race(known);
    return outcome.done ? outcome.value : false;
  }

  private async probeTimeout(container: Dockerode.Container): Promise<boolean | undefined> {
    const own = new Deadline(PROBE_MS);
    try {
      const probe = await container.exec({
        Cmd: ['timeout', '-s', 'KILL', '5', 'true'],
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = await probe.start({ hijack: true, stdin: false });
      const sink = new OutputCapture(1024);
      const outcome = await own.race(demuxInto(this.docker.modem, stream, sink, sink));
      if (!outcome.done) return undefined;
      return (await probe.inspect()).ExitCode === 0;
    } catch {
      return undefined;
    } finally {
      own.dispose();
    }
  }

  async close(): Promise<void> {
    // Dockerode keeps no connection open between calls.
  }
}
