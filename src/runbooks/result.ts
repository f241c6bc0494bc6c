import { z } from 'zod';

// What an executor returns for one action. Target-side failures (non-zero exit, timeout,
// unreachable) are results the analyzers read, never exceptions.
export const execResultSchema = z.object({
  exitCode: z.number().int().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  durationMs: z.number().nonnegative(),
  timedOut: z.boolean(),
  unreachable: z.boolean(),
  truncated: z.boolean(),
  /** A short reason when the action did not complete (never holds a secret). */
  error: z.string().optional(),
  /**
   * The command a person would type to read the same, when it ran another way than the action
   * renders (a Redis read over the worker's direct connection instead of redis-cli in an exec).
   */
  via: z.string().optional(),
  /** Characters of stdout and stderr the state did not keep once the output was read (see keptOutput). */
  notKept: z.number().int().positive().optional(),
});
export type ExecResult = z.infer<typeof execResultSchema>;

export const succeeded = (r: ExecResult) => r.exitCode === 0 && !r.timedOut && !r.unreachable;

/** Everything the command printed, for pattern matching: stdout, then stderr, then the reason. */
export const allOutput = (r: ExecResult) => [r.stdout, r.stderr, r.error ?? ''].filter(Boolean).join('\n');

/** Removes the targets' secrets from what is stored and shown; analyzers still read raw output. */
export type Redactor = (text: string, opts?: { cut?: boolean }) => string;

export function redactResult(r: ExecResult, redact: Redactor): ExecResult {
  const cut = { cut: r.truncated };
  return {
    ...r,
    stdout: redact(r.stdout, cut),
    stderr: redact(r.stderr, cut),
    ...(r.error !== undefined ? { error: redact(r.error) } : {}),
  };
}

/**
 * How much of a diagnose or verify step's output the state keeps once its analyzer has read it all:
 * the head and the tail of each stream. Findings carry their own evidence lines, and nothing reads
 * these outputs again, so the rest is weight every later load and save would carry.
 */
export const KEPT_OUTPUT = { head: 2048, tail: 2048 } as const;

// A cut between the two halves of a surrogate pair would keep half a character.
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

function kept(text: string): { text: string; dropped: number } {
  if (text.length <= KEPT_OUTPUT.head + KEPT_OUTPUT.tail) return { text, dropped: 0 };
  let end = KEPT_OUTPUT.head;
  if (isLowSurrogate(text.charCodeAt(end))) end -= 1;
  let start = text.length - KEPT_OUTPUT.tail;
  if (isLowSurrogate(text.charCodeAt(start))) start += 1;
  const dropped = start - end;
  return {
    text: `${text.slice(0, end)}\n[… ${dropped} characters not kept …]\n${text.slice(start)}`,
    dropped,
  };
}

export function keptOutput(r: ExecResult): ExecResult {
  const out = kept(r.stdout);
  const err = kept(r.stderr);
  const dropped = out.dropped + err.dropped;
  return dropped === 0 ? r : { ...r, stdout: out.text, stderr: err.text, notKept: dropped };
}
