import { Writable } from 'node:stream';
import { OutputCapture } from './output.js';

// Several read-only commands run by one `docker exec`: a container engine sets execs up one at a
// time (75-100 ms each here), so six parallel checks into one container cost six set-ups. The
// script is fixed text built from argument counts alone; every argv element is a positional
// parameter, never part of the script. After each command the script prints an end marker carrying
// a per-exec nonce to stdout (with the exit status) and to stderr, which splits both streams back
// into one result per command, byte for byte.
//
// Each command runs in the background of a subshell and is waited for (so the shell never adds a
// "Killed" line of its own to the command's stderr), and its stdout and stderr each pass through a
// `cat`, so the marker follows only once every process holding them has let go: output a child
// writes after the command itself has exited still belongs to that command, as with an exec of
// its own.
const RUN = (refs: string) =>
  `r=$( { { { ${refs} 2>&8 6>&- 8>&- & wait $!; echo $? >&6; } 8>&1 1>&7 7>&- 2>/dev/null | cat >&5; } 7>&1 | cat >&3; } 6>&1 )`;

/** `sh -c` argv running `commands` in order, each followed by its end markers. */
export function batchArgv(nonce: string, commands: readonly (readonly string[])[]): string[] {
  const lines: string[] = [];
  const args: string[] = [];
  let position = 2; // $1 is the nonce
  commands.forEach((argv, i) => {
    if (argv.length === 0) throw new Error('a batched command needs at least its program name');
    const refs = argv.map(() => `"\${${position++}}"`).join(' ');
    lines.push(`${RUN(refs)}; printf '\\n%s %s %s\\n' "$1" ${i} "$r"; printf '\\n%s %s\\n' "$1" ${i} >&2`);
    args.push(...argv);
  });
  return ['sh', '-c', ['exec 3>&1 5>&2', ...lines].join('\n'), 'sh', nonce, ...args];
}

/** One command's share of a batch, as it would have come back from an exec of its own. */
export interface BatchSegment {
  stdout: string;
  stderr: string;
  truncated: boolean;
  exitCode: number;
  /** From the end of the previous command (or the exec's start) to this command's end marker. */
  elapsedMs: number;
}

// Splits one stream at its end markers ("\n<nonce> <index>[ <status>]\n"), feeding each command's
// bytes to its own capture. A tail shorter than the marker is held back until the next chunk, since
// a marker may be split across chunks.
class MarkerSplitter {
  private pending: Buffer = Buffer.alloc(0);
  index = 0;

  constructor(
    private readonly token: Buffer,
    private readonly captures: readonly OutputCapture[],
    private readonly onMarker: (index: number, fields: string[]) => void,
    private readonly withStatus: boolean,
  ) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const at = this.pending.indexOf(this.token);
      if (at < 0) {
        const keep = Math.min(this.pending.length, this.token.length - 1);
        this.feed(this.pending.subarray(0, this.pending.length - keep));
        this.pending = this.pending.subarray(this.pending.length - keep);
        return;
      }
      const eol = this.pending.indexOf(0x0a, at + this.token.length);
      if (eol < 0) {
        this.feed(this.pending.subarray(0, at));
        this.pending = this.pending.subarray(at);
        return;
      }
      const fields = this.pending
        .subarray(at + this.token.length, eol)
        .toString('utf8')
        .split(' ');
      if (!this.isMarker(fields)) {
        // Not ours after all (a command printed the nonce): it is that command's output.
        this.feed(this.pending.subarray(0, at + this.token.length));
        this.pending = this.pending.subarray(at + this.token.length);
        continue;
      }
      this.feed(this.pending.subarray(0, at));
      this.pending = this.pending.subarray(eol + 1);
      this.onMarker(this.index, fields);
      this.index++;
    }
  }

  // Only the marker of the command running now counts: its index, then (stdout) a status or none.
  private isMarker(fields: string[]): boolean {
    if (fields[0] !== String(this.index)) return false;
    if (!this.withStatus) return fields.length === 1;
    return fields.length === 2 && /^\d*$/.test(fields[1] ?? '');
  }

  /** What one command has printed so far: its capture, and for the running one what is held back. */
  textOf(i: number): string {
    const capture = this.captures[i];
    // What is held back is under a marker's length; a capture already at its limit takes no more.
    const held = i === this.index && !capture?.truncated ? this.pending.toString('utf8') : '';
    return (capture?.text() ?? '') + held;
  }

  /** What is left once the stream has ended belongs to the command that was running. */
  end(): void {
    this.feed(this.pending);
    this.pending = Buffer.alloc(0);
  }

  private feed(bytes: Buffer): void {
    if (bytes.length > 0) this.captures[this.index]?.push(bytes);
  }
}

/**
 * Reads a batch's two streams and hands each command's segment to `onDone` as soon as both of its
 * markers have arrived, so a step does not wait for the commands after it.
 */
export class BatchReader {
  private readonly out: OutputCapture[];
  private readonly err: OutputCapture[];
  private readonly status = new Map<number, { exitCode: number; at: number }>();
  private readonly errDone = new Set<number>();
  private readonly stdoutSplit: MarkerSplitter;
  private readonly stderrSplit: MarkerSplitter;
  /** When the last end marker (or the exec's start) arrived: how long the running command has run. */
  lastProgressAt: number;
  private readonly startedAt: number;

  constructor(
    nonce: string,
    count: number,
    maxBytes: number,
    private readonly now: () => number,
    private readonly onDone: (index: number, segment: BatchSegment) => void,
  ) {
    this.out = Array.from({ length: count }, () => new OutputCapture(maxBytes));
    this.err = Array.from({ length: count }, () => new OutputCapture(maxBytes));
    this.startedAt = now();
    this.lastProgressAt = this.startedAt;
    const token = Buffer.from(`\n${nonce} `);
    this.stdoutSplit = new MarkerSplitter(
      token,
      this.out,
      (i, fields) => {
        const status = fields[1] ?? '';
        this.status.set(i, { exitCode: status === '' ? Number.NaN : Number(status), at: this.now() });
        this.lastProgressAt = this.now();
        this.settle(i);
      },
      true,
    );
    this.stderrSplit = new MarkerSplitter(
      token,
      this.err,
      (i) => {
        this.errDone.add(i);
        this.settle(i);
      },
      false,
    );
  }

  /** The command running now: the first whose stdout marker has not arrived. */
  get running(): number {
    return this.stdoutSplit.index;
  }

  stdout(): Writable {
    return sink((c) => this.stdoutSplit.push(c));
  }

  stderr(): Writable {
    return sink((c) => this.stderrSplit.push(c));
  }

  /** What one command has printed so far (for a command stopped before its end marker). */
  partsOf(i: number): { stdout: string; stderr: string; truncated: boolean } {
    const out = this.out[i];
    const err = this.err[i];
    return {
      stdout: this.stdoutSplit.textOf(i),
      stderr: this.stderrSplit.textOf(i),
      truncated: (out?.truncated ?? false) || (err?.truncated ?? false),
    };
  }

  end(): void {
    this.stdoutSplit.end();
    this.stderrSplit.end();
  }

  private settle(i: number): void {
    const status = this.status.get(i);
    if (!status || !this.errDone.has(i)) return;
    const out = this.out[i];
    const err = this.err[i];
    if (!out || !err) return;
    const previous = i === 0 ? undefined : this.status.get(i - 1);
    const began = previous?.at ?? this.startedAt;
    this.onDone(i, {
      stdout: out.text(),
      stderr: err.text(),
      truncated: out.truncated || err.truncated,
      exitCode: status.exitCode,
      elapsedMs: status.at - began,
    });
  }
}

const sink = (push: (chunk: Buffer) => void) =>
  new Writable({
    write: (chunk: Buffer, _enc, done) => {
      push(chunk);
      done();
    },
  });
