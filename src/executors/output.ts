import { Writable } from 'node:stream';
import type { ExecResult } from '../runbooks/result.js';

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * Keeps the first `limit` bytes of a stream and remembers whether more came. Executors capture a
 * little more than the final cap so that redaction sees a secret whole before the cut is made.
 */
export class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const room = this.limit - this.size;
    if (buf.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = buf.length > room ? buf.subarray(0, room) : buf;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.push(chunk);
        done();
      },
    });
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export interface ResultParts {
  exitCode?: number | null;
  stdout?: string;
  stderr?: string;
  timedOut?: boolean;
  unreachable?: boolean;
  truncated?: boolean;
  error?: string;
}

export function makeResult(startedAt: number, parts: ResultParts): ExecResult {
  return {
    exitCode: parts.exitCode ?? null,
    stdout: parts.stdout ?? '',
    stderr: parts.stderr ?? '',
    durationMs: Math.max(0, Date.now() - startedAt),
    timedOut: parts.timedOut ?? false,
    unreachable: parts.unreachable ?? false,
    truncated: parts.truncated ?? false,
    ...(parts.error !== undefined ? { error: parts.error } : {}),
  };
}

export function capturedParts(out: OutputCapture, err: OutputCapture): ResultParts {
  return { stdout: out.text(), stderr: err.text(), truncated: out.truncated || err.truncated };
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without leaving half a character at the end. */
export function cutUtf8(text: string, maxBytes: number): { text: string; cut: boolean } {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return { text, cut: false };
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: buf.subarray(0, end).toString('utf8'), cut: true };
}
