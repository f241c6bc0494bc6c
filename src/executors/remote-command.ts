import { quoteArg } from '../runbooks/action.js';

// Building blocks shared by the Docker and SSH executors for commands that must really stop.

/** Env var set on every command we start, so that it and all its children can be found and killed. */
export const MARKER_VAR = 'RUNBOOK_BOT_EXEC_ID';

/** Whole seconds for `timeout`, never less than the client-side deadline. */
export const timeoutSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Wraps argv so that the target itself kills it at the deadline, even if the bot dies or the
 * connection drops: both coreutils and busybox `timeout` accept this form.
 */
export const withTimeout = (argv: readonly string[], timeoutMs: number): string[] => [
  'timeout',
  '-s',
  'KILL',
  String(timeoutSeconds(timeoutMs)),
  ...argv,
];

// Kills every process whose environment carries the marker: the command, and anything it forked
// (which `timeout` alone would miss under busybox). Only needs sh, tr, grep and kill.
const KILL_BY_MARKER = [
  'cd /proc || exit 1',
  'for p in [0-9]*; do',
  '  [ "$p" = "$$" ] && continue',
  `  if tr '\\000' '\\n' <"$p/environ" 2>/dev/null | grep -qxF -- "$1"; then kill -9 "$p" 2>/dev/null; fi`,
  'done',
  'exit 0',
].join('\n');

/** argv that kills the processes started with `${MARKER_VAR}=${marker}`; the marker is an argument, not code. */
export const killByMarkerArgv = (marker: string): string[] => [
  'sh',
  '-c',
  KILL_BY_MARKER,
  'sh',
  `${MARKER_VAR}=${marker}`,
];

/** One shell command line from argv; every argument is single-quoted unless plainly safe. */
export const shellJoin = (argv: readonly string[]): string => argv.map(quoteArg).join(' ');
