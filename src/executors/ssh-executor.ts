import { randomUUID } from 'node:crypto';
import type { NodeSSH } from 'node-ssh';
import type { Action } from '../runbooks/action.js';
import { RunbookBotError } from '../runbooks/errors.js';
import { redact } from '../runbooks/redact.js';
import type { ExecResult } from '../runbooks/result.js';
import { Deadline, sleep, stoppedParts } from './deadline.js';
import type { Executor, RunOptions } from './executor.js';
import {
  capturedParts,
  DEFAULT_MAX_OUTPUT_BYTES,
  makeResult,
  OutputCapture,
  type ResultParts,
} from './output.js';
import { killByMarkerArgv, MARKER_VAR, shellJoin, timeoutSeconds, withTimeout } from './remote-command.js';
import { SshConnection, type SshEndpoint, SshUnreachableError } from './ssh-connection.js';
import { inspectArgv, parseInspect } from './ssh-inspect.js';

export interface SshExecutorOptions {
  endpoint: SshEndpoint;
  redisPort: number;
  /** Redis's log file on the host; without one, logs come from journalctl -u redis-server. */
  logFile?: string;
  /** The systemd unit whose journal `logs` reads when there is no log file (default redis-server). */
  unit?: string;
  /** The SSH user is not root: actions run as root (or as another user) go through `sudo -n`. */
  sudo?: boolean;
  /** Read at each redis action; undefined = no password. */
  redisPassword?: () => string | undefined;
  /** The ACL user redis-cli authenticates as (`--user`; a name, not a secret). */
  redisUser?: string;
  maxOutputBytes?: number;
}

const KILL_GRACE_MS = 3000;

// ssh2's channel type, named through node-ssh so that ssh2 stays an indirect dependency.
type ClientChannel = Awaited<ReturnType<NodeSSH['requestShell']>>;

/** Actions that only make sense for containers. */
const DOCKER_ONLY = new Set<Action['kind']>(['start', 'restart', 'network-connect', 'helper']);

/**
 * Runs actions on a Redis host over SSH. Every command is one quoted command line, wrapped in
 * `timeout -s KILL` on the host (so it stops even if we vanish) and tagged with a marker in its
 * environment so that a client-side deadline or an abort can kill it and its children at once.
 */
export class SshExecutor implements Executor {
  private readonly conn: SshConnection;
  private readonly maxBytes: number;

  constructor(private readonly opts: SshExecutorOptions) {
    this.conn = new SshConnection(opts.endpoint);
    this.maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  }

  async run(action: Action, opts: RunOptions): Promise<ExecResult> {
    if (action.place.at !== 'redis') {
      throw new RunbookBotError('EXECUTOR_MISCONFIGURED', 'the SSH executor only serves the Redis host');
    }
    // Thrown, not returned: no target state explains it, and a result would let an analyzer read
    // "restart failed" into a runbook that should never have asked (it can branch on target kind).
    if (DOCKER_ONLY.has(action.kind)) {
      throw new RunbookBotError('ACTION_UNSUPPORTED', `${action.kind} is not supported on an SSH target`);
    }
    const startedAt = Date.now();
    const deadline = new Deadline(opts.timeoutMs, opts.signal);
    try {
      if (deadline.reason) return makeResult(startedAt, stoppedParts(deadline.reason, opts.timeoutMs));
      const connected = await deadline.race(this.conn.get());
      if (!connected.done) {
        return makeResult(startedAt, {
          ...stoppedParts(connected.reason, opts.timeoutMs, 'while connecting'),
          unreachable: true,
        });
      }
      return makeResult(startedAt, await this.dispatch(action, connected.value, deadline));
    } catch (e) {
      if (e instanceof RunbookBotError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      return makeResult(startedAt, { unreachable: true, error: message.slice(0, 300) });
    } finally {
      deadline.dispose();
    }
  }

  private async dispatch(action: Action, ssh: NodeSSH, deadline: Deadline): Promise<ResultParts> {
    const port = String(this.opts.redisPort);
    switch (action.kind) {
      case 'exec':
        return this.remote(ssh, action.argv, action.user, undefined, deadline);
      case 'redis': {
        const password = this.opts.redisPassword?.();
        // --askpass reads the password from stdin: it never appears in argv, `ps` or the environment.
        const auth = password ? ['--askpass'] : [];
        const user = this.opts.redisUser ? ['--user', this.opts.redisUser] : [];
        const argv = ['redis-cli', '-h', '127.0.0.1', '-p', port, ...user, ...auth, ...action.args];
        return this.remote(ssh, argv, undefined, password ? `${password}\n` : undefined, deadline);
      }
      case 'inspect': {
        const r = await this.remote(ssh, inspectArgv(this.opts.redisPort), undefined, undefined, deadline);
        if (r.exitCode !== 0) return r;
        const password = this.opts.redisPassword?.();
        const info = parseInspect(r.stdout ?? '', this.opts.redisPort, (s) =>
          redact(s, password ? [password] : []),
        );
        return { ...r, stdout: JSON.stringify(info, null, 2) };
      }
      case 'logs': {
        const n = String(action.tail);
        const argv = this.opts.logFile
          ? ['tail', '-n', n, '--', this.opts.logFile]
          : ['journalctl', '-u', this.opts.unit ?? 'redis-server', '-n', n, '--no-pager'];
        // The journal of a system unit is root's (or adm's) to read: with sudo, ask for it.
        return this.remote(ssh, argv, this.opts.sudo ? 'root' : undefined, undefined, deadline);
      }
      default:
        throw new RunbookBotError('ACTION_UNSUPPORTED', `${action.kind} is not supported on an SSH target`);
    }
  }

  private async remote(
    ssh: NodeSSH,
    argv: readonly string[],
    user: string | undefined,
    stdin: string | undefined,
    deadline: Deadline,
  ): Promise<ResultParts> {
    if (argv.some((a) => a.includes('\0'))) {
      throw new RunbookBotError('ACTION_UNSUPPORTED', 'an argument contains a NUL byte');
    }
    const marker = randomUUID();
    const inner = ['env', `${MARKER_VAR}=${marker}`, ...withTimeout(argv, deadline.timeoutMs)];
    const full = this.asUser(user, inner);
    const started = Date.now();
    const opening = openExec(ssh, `exec ${shellJoin(full)}`);
    const opened = await deadline.race(opening);
    if (!opened.done) {
      // If the channel opens after all, close it; the host's `timeout` bounds whatever started.
      opening.then((ch) => ch.close()).catch(() => {});
      // The command never started: nothing on the host was read, so this is no timeout of it.
      return {
        ...stoppedParts(opened.reason, deadline.timeoutMs, 'before the command started'),
        unreachable: true,
      };
    }
    const channel = opened.value;
    const out = new OutputCapture(this.maxBytes);
    const err = new OutputCapture(this.maxBytes);
    channel.on('data', (d: Buffer) => out.push(d));
    channel.stderr.on('data', (d: Buffer) => err.push(d));
    const finished = waitForClose(channel);
    channel.end(stdin);
    const outcome = await deadline.race(finished);
    if (!outcome.done) {
      await this.killMarked(ssh, marker);
      const gone = await Promise.race([finished.then(() => true), sleep(KILL_GRACE_MS).then(() => false)]);
      channel.close();
      const note = gone ? undefined : 'the command may still be running';
      return { ...stoppedParts(outcome.reason, deadline.timeoutMs, note), ...capturedParts(out, err) };
    }
    const { code, signal, gotExit } = outcome.value;
    if (!gotExit) {
      this.conn.reset();
      return { unreachable: true, error: 'ssh connection lost', ...capturedParts(out, err) };
    }
    const killed = signal === 'KILL' || code === 137;
    if (killed && Date.now() - started >= timeoutSeconds(deadline.timeoutMs) * 1000 - 50) {
      return { ...stoppedParts('timeout', deadline.timeoutMs), ...capturedParts(out, err) };
    }
    const exitCode = code ?? (signal ? 128 + (SIGNALS[signal] ?? 0) : null);
    return { exitCode, ...capturedParts(out, err) };
  }

  /**
   * `user` undefined: as the SSH user. With `sudo`, root and other users are reached with `sudo -n`
   * (never a prompt: a refusal is an exit 1 with "sudo: …" that the analyzers read); without it, root
   * means the SSH user itself (it is root, or the command fails on its own), others go through runuser.
   * Either wraps the timeout, which would leave the command behind if it killed runuser/sudo alone.
   */
  private asUser(user: string | undefined, inner: string[]): string[] {
    if (user === undefined || user === this.opts.endpoint.user) return inner;
    if (this.opts.sudo)
      return user === 'root' ? ['sudo', '-n', '--', ...inner] : ['sudo', '-n', '-u', user, '--', ...inner];
    return user === 'root' ? inner : ['runuser', '-u', user, '--', ...inner];
  }

  private async killMarked(ssh: NodeSSH, marker: string): Promise<void> {
    try {
      // What ran through sudo is root's (or another user's): only sudo can kill it.
      const argv = killByMarkerArgv(marker);
      const ch = await openExec(ssh, shellJoin(this.opts.sudo ? ['sudo', '-n', '--', ...argv] : argv));
      ch.resume();
      ch.stderr.resume();
      ch.end();
      await Promise.race([waitForClose(ch), sleep(KILL_GRACE_MS)]);
    } catch {
      // Best effort: `timeout` on the host still stops the command at the deadline.
    }
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}

const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ABRT: 6,
  KILL: 9,
  SEGV: 11,
  PIPE: 13,
  TERM: 15,
};

// The channel's end, watched from the moment it opens: when several channels open at once, one's
// exit status can arrive in the same read as its open confirmation, before any later listener.
const ends = new WeakMap<ClientChannel, Promise<ChannelEnd>>();

function openExec(ssh: NodeSSH, command: string): Promise<ClientChannel> {
  const client = ssh.connection;
  if (!client) return Promise.reject(new SshUnreachableError('ssh connection lost'));
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      ends.set(channel, watchEnd(channel));
      resolve(channel);
    });
  });
}

interface ChannelEnd {
  code: number | null;
  signal: string | null;
  gotExit: boolean;
}

function watchEnd(channel: ClientChannel): Promise<ChannelEnd> {
  return new Promise((resolve) => {
    const end: ChannelEnd = { code: null, signal: null, gotExit: false };
    channel.on('exit', (code: number | null, signal?: string) => {
      end.gotExit = true;
      end.code = typeof code === 'number' ? code : null;
      end.signal = signal ?? null;
    });
    channel.on('close', () => resolve(end));
  });
}

const waitForClose = (channel: ClientChannel): Promise<ChannelEnd> => ends.get(channel) ?? watchEnd(channel);
