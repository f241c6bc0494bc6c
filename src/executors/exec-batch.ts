import { Writable } from 'node:stream';
import { OutputCapture } from './output.js';

// Several read-only commands run by one `docker exec`: a container engine sets execs up one at a
// time (75-100 ms each here), so six parallel checks into one container cost six set-ups. The
// script is fixed text built from argument counts alone; every argv element is a positional
// parameter, never part of the script. After each command the script prints an end marker carrying
// a per-exec nonce to stdout (with the exit status) and to stderr, which splits both streams back
// into one result per command, byte for byte.

/** `sh -c` argv running `commands` in order, each followed by its end markers. */
export function batchArgv(nonce: string, commands: readonly (readonly string[])[]): string[] {
  const lines: string[] = [];
  const args: string[] = [];
  let position = 2; // $1 is the nonce
  commands.forEach((argv, i) => {
    if (argv.length === 0) throw new Error('a batched command needs at least its program name');
    const refs = argv.map(() => `"\${${position++}}"`).join(' ');
    lines.push(`${refs}; r=$?; printf '\\n%s %s %s\\n' "$1" ${i} "$r"; printf '\\n%s %s\\n' "$1" ${i} >&2`);
    args.push(...argv);
  });
  return ['sh', '-c', lines.join('\n'), 'sh', nonce, ...args];
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
      this.feed(this.pending.subarray(0, at));
      const fields = this.pending
        .subarray(at + this.token.length, eol)
        .toString('utf8')
        .split(' ');
      this.pending = this.pending.subarray(eol + 1);
      this.onMarker(this.index, fields);
      this.index++;
    }
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
    this.stdoutSplit = new MarkerSplitter(token, this.out, (i, fields) => {
      this.status.set(i, { exitCode: Number(fields[1] ?? Number.NaN), at: this.now() });
      this.lastProgressAt = this.now();
      this.settle(i);
    });
    this.stderrSplit = new MarkerSplitter(token, this.err, (i) => {
      this.errDone.add(i);
      this.settle(i);
    });
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
