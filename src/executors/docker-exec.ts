import { randomBytes, randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { Deadline, sleep, stoppedParts } from './deadline.js';
import { demuxInto } from './docker-support.js';
import { BatchReader, type BatchSegment, batchArgv } from './exec-batch.js';
import { ExecLanes, type LaneMember, type Waiting } from './exec-lane.js';
import { capturedParts, OutputCapture, type ResultParts } from './output.js';
import { killByMarkerArgv, MARKER_VAR, timeoutSeconds, withTimeout } from './remote-command.js';

// After the client deadline fires we kill the command, then give its stream this long to end.
const KILL_GRACE_MS = 3000;
// The capability probe answers at once on an image that has `timeout`, `sh` and `cat`.
const PROBE_MS = 10_000;
// A batched command that has run this long without its end marker is taken to hang: the commands
// after it get execs of their own rather than wait behind it.
const STUCK_MS = 1000;

interface Capabilities {
  /** `timeout -s KILL N` works, so the target itself stops a command at its deadline. */
  timeout: boolean;
  /** `sh` and `cat` too, so several checks can share one exec. */
  shell: boolean;
}

interface ExecRequest extends LaneMember {
  container: Dockerode.Container;
  argv: readonly string[];
  user: string | undefined;
  env: readonly string[];
}

/** Commands in containers through the Engine API: each in its own exec, or read-only ones batched. */
export class ContainerExecs {
  // What a container's image can do, learnt once per container and shared by every caller meanwhile.
  private readonly capabilities = new Map<string, Promise<Capabilities>>();
  private readonly lanes = new ExecLanes<ExecRequest>({
    solo: (r, started) => this.solo(r, true, started),
    batch: (group, started, handBack) => this.batch(group, started, handBack),
  });

  constructor(
    private readonly docker: Dockerode,
    private readonly maxBytes: number,
  ) {}

  /**
   * Runs argv in the container. A read-only command (`exact` false) may share an exec with others
   * arriving meanwhile; a repair's always runs alone, exactly as its card shows.
   */
  async run(
    container: Dockerode.Container,
    argv: readonly string[],
    opts: { user: string | undefined; env: readonly string[]; deadline: Deadline; exact: boolean },
  ): Promise<ResultParts> {
    const caps = await this.capabilitiesOf(container, opts.deadline);
    const request: ExecRequest = {
      container,
      argv,
      user: opts.user,
      env: opts.env,
      deadline: opts.deadline,
      key: JSON.stringify([opts.user ?? '', ...opts.env]),
    };
    if (opts.exact || !caps.timeout || !caps.shell) return this.solo(request, caps.timeout, () => {});
    return this.lanes.run(container.id, request);
  }

  private async solo(r: ExecRequest, wrap: boolean, started: () => void): Promise<ResultParts> {
    const { container, deadline, user } = r;
    const limitMs = deadline.remainingMs();
    const marker = randomUUID();
    const { exec, stream } = await this.startExec(
      r,
      wrap ? withTimeout(r.argv, limitMs) : [...r.argv],
      marker,
      started,
    );
    const begun = Date.now();
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
    const exitCode = (await exec.inspect()).ExitCode ?? null;
    const parts = { exitCode, ...capturedParts(out, err) };
    return wrap ? this.readTimeout(parts, Date.now() - begun, limitMs, deadline) : parts;
  }

  private async batch(
    group: Waiting<ExecRequest>[],
    started: () => void,
    handBack: (w: Waiting<ExecRequest>) => void,
  ): Promise<void> {
    const first = group[0]?.member;
    if (!first) return;
    const { container, user } = first;
    const limits = group.map((w) => w.member.deadline.remainingMs());
    const nonce = randomBytes(16).toString('hex');
    const marker = randomUUID();
    const cmd = batchArgv(
      nonce,
      group.map((w, i) => withTimeout(w.member.argv, limits[i] ?? 0)),
    );
    const { stream } = await this.startExec(first, cmd, marker, started);
    const open = new Set(group.keys());
    // Set once a member is answered before its command finished: something may still run.
    let cut = false;
    // The last member stopped by its deadline is answered only after the exec is killed, so that
    // a "timed out" never leaves its command behind, as with an exec of its own.
    const afterKill: (() => void)[] = [];
    let allSettled: () => void = () => {};
    const settledAll = new Promise<void>((resolve) => {
      allSettled = resolve;
    });
    const settle = (i: number, outcome: ResultParts | 'hand-back', finished = false) => {
      const w = group[i];
      if (!w || !open.delete(i)) return;
      if (!finished) cut = true;
      if (outcome === 'hand-back') handBack(w);
      else if (!finished && open.size === 0) afterKill.push(() => w.resolve(outcome));
      else w.resolve(outcome);
      if (open.size === 0) allSettled();
    };
    const reader = new BatchReader(nonce, group.length, this.maxBytes, Date.now, (i, segment) => {
      const w = group[i];
      if (w) settle(i, this.segmentParts(segment, limits[i] ?? 0, w.member.deadline), true);
    });
    // Stopped by its own deadline: what it printed so far, as an exec of its own would give. The
    // last one open is answered once the exec is killed; any other still runs until its
    // `timeout` in the container fires or the exec is killed.
    group.forEach((w, i) => {
      void w.member.deadline.stopped.then((why) => {
        const note = open.size > 1 ? 'the command may still be running' : undefined;
        settle(i, { ...stoppedParts(why, w.member.deadline.timeoutMs, note), ...reader.partsOf(i) });
      });
    });
    // A command that hangs holds up only itself: the ones queued behind it in the script move on.
    const watch = setInterval(() => {
      if (Date.now() - reader.lastProgressAt < STUCK_MS) return;
      for (const i of [...open]) if (i > reader.running) settle(i, 'hand-back');
    }, STUCK_MS / 4);
    watch.unref();
    let ended = false;
    const streamEnded = new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', resolve);
    }).then(() => {
      ended = true;
    });
    this.docker.modem.demuxStream(stream, reader.stdout(), reader.stderr());
    await Promise.race([streamEnded, settledAll]);
    clearInterval(watch);
    if (ended) {
      reader.end();
      // The exec ended before these commands finished (the container stopped, say): each runs again
      // alone, which reports what really stands in its way.
      for (const i of [...open]) settle(i, 'hand-back');
      for (const answer of afterKill) answer();
      return;
    }
    // Every command finished: the script ends on its own.
    if (!cut) return;
    // Everyone has an answer; what still runs (a hung command, or ones after it) is stopped.
    await this.killMarked(container, marker, user);
    stream.destroy();
    for (const answer of afterKill) answer();
  }

  /** Creates and starts one exec, marked so that it can be killed; `started` is told either way. */
  private async startExec(
    r: ExecRequest,
    cmd: string[],
    marker: string,
    started: () => void,
  ): Promise<{ exec: Dockerode.Exec; stream: Duplex }> {
    try {
      const exec = await r.container.exec({
        Cmd: cmd,
        Env: [...r.env, `${MARKER_VAR}=${marker}`],
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        ...(r.user ? { User: r.user } : {}),
      });
      return { exec, stream: await exec.start({ hijack: true, stdin: false }) };
    } finally {
      started();
    }
  }

  private segmentParts(segment: BatchSegment, limitMs: number, deadline: Deadline): ResultParts {
    const parts = {
      exitCode: Number.isInteger(segment.exitCode) ? segment.exitCode : null,
      stdout: segment.stdout,
      stderr: segment.stderr,
      truncated: segment.truncated,
    };
    return this.readTimeout(parts, segment.elapsedMs, limitMs, deadline);
  }

  // The target's own `timeout` may fire a moment before ours: exit 137 at the limit is a timeout.
  private readTimeout(parts: ResultParts, ranMs: number, limitMs: number, deadline: Deadline): ResultParts {
    const killed = parts.exitCode === 137 && ranMs >= timeoutSeconds(limitMs) * 1000 - 50;
    return killed ? { ...parts, ...stoppedParts('timeout', deadline.timeoutMs) } : parts;
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

  /** An unanswered probe is forgotten, so the next action asks again; a caller's deadline stops only its wait. */
  private async capabilitiesOf(container: Dockerode.Container, deadline: Deadline): Promise<Capabilities> {
    let known = this.capabilities.get(container.id);
    if (!known) {
      known = this.probe(container).then((caps) => {
        if (caps === undefined) this.capabilities.delete(container.id);
        return caps ?? { timeout: false, shell: false };
      });
      this.capabilities.set(container.id, known);
    }
    const outcome = await deadline.race(known);
    return outcome.done ? outcome.value : { timeout: false, shell: false };
  }

  private async probe(container: Dockerode.Container): Promise<Capabilities | undefined> {
    // A batch needs sh and cat besides timeout.
    const both = await this.probeExec(container, ['timeout', '-s', 'KILL', '5', 'sh', '-c', 'echo | cat']);
    if (both !== false) return both === undefined ? undefined : { timeout: true, shell: true };
    const timeout = await this.probeExec(container, ['timeout', '-s', 'KILL', '5', 'true']);
    return timeout === undefined ? undefined : { timeout, shell: false };
  }

  private async probeExec(container: Dockerode.Container, cmd: string[]): Promise<boolean | undefined> {
    const own = new Deadline(PROBE_MS);
    try {
      const probe = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
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
}
