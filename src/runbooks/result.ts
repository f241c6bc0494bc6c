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
