import type { ExecResult } from '../result.js';
import { allOutput } from '../result.js';

// What a redis-cli call ran into, told apart by Redis's leading error code words, by the connection
// errors redis-cli prints and by what a container runtime or shell prints when redis-cli is absent.
// Each line gets at most one kind; the line of the highest-ranked kind wins (RANK below).
export type ReplyKind =
  | 'ok'
  | 'tool-missing'
  | 'wrongpass'
  | 'noauth'
  | 'noperm'
  | 'misconf'
  | 'oom'
  | 'max-clients'
  | 'loading'
  | 'busy'
  | 'masterdown'
  | 'readonly'
  | 'dns'
  | 'refused'
  | 'net-unreachable'
  | 'timeout'
  | 'unreachable'
  | 'error';

export interface Reply {
  kind: ReplyKind;
  /** The line that shows it, for evidence. */
  line: string;
}

// Highest first. A refused AUTH prints `AUTH failed: WRONGPASS ...` and the command then answers
// NOAUTH (or even PONG as the default user): WRONGPASS ranks above NOAUTH. Nothing else matters
// when redis-cli could not even be started.
const RANK: readonly ReplyKind[] = [
  'tool-missing',
  'wrongpass',
  'misconf',
  'oom',
  'max-clients',
  'noperm',
  'noauth',
  'loading',
  'busy',
  'masterdown',
  'readonly',
  'dns',
  'refused',
  'net-unreachable',
  'timeout',
];

// redis-cli prints a reply error bare when its output is not a TTY, as `(error) X` on a TTY, and
// `AUTH failed: X` / `SELECT n failed: X` / `HELLO 3 failed: X` for the calls it makes itself.
const PREFIX = /^(?:\(error\)\s+|ReplyError:\s+)?(?:(AUTH|SELECT \d+|HELLO \d+) failed:\s+)?/;

// Redis error replies by leading code word (server.c createSharedObjects and friends, 5.0–7.4):
//   -NOAUTH Authentication required.
//   -WRONGPASS invalid username-password pair[ or user is disabled.]      (6.0+)
//   -ERR invalid password                                                  (5.x)
//   -NOPERM this user has no permissions to run the '%s' command ...      (6.x)
//   -NOPERM User %s has no permissions to run the '%s' command             (7.x)
//   -MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist ...
//   -OOM command not allowed when used memory > 'maxmemory'.
//   -ERR max number of clients reached / -ERR max number of clients + cluster connections reached
//   -LOADING Redis is loading the dataset in memory
//   -BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.
//   -BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE. (7.x)
//   -BUSY Redis is busy running a module command.                          (7.x)
//   -MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.
//   -READONLY You can't write against a read only replica.
// \b keeps BUSYKEY and BUSYGROUP (ordinary command errors) out of 'busy'.
const CODE_WORDS: readonly [ReplyKind, RegExp][] = [
  ['wrongpass', /^(?:WRONGPASS\b|ERR invalid password\b)/],
  ['noauth', /^NOAUTH\b/],
  ['noperm', /^NOPERM\b/],
  ['misconf', /^MISCONF\b/],
  ['oom', /^OOM\b/],
  ['max-clients', /^ERR max number of clients\b/],
  ['loading', /^LOADING\b/],
  ['busy', /^BUSY\b/],
  ['masterdown', /^MASTERDOWN\b/],
  ['readonly', /^READONLY\b/],
];

// redis-cli: "Could not connect to Redis at %s:%d: %s" with hiredis's errstr, which is gai_strerror()
// for a failed lookup and strerror() for a failed connect.
//   glibc gai_strerror: EAI_NONAME "Name or service not known", EAI_AGAIN "Temporary failure in name
//     resolution", EAI_NODATA "No address associated with hostname", EAI_FAIL "Non-recoverable failure
//     in name resolution"
//   musl gai_strerror: EAI_NONAME "Name does not resolve", EAI_AGAIN "Try again", EAI_FAIL
//     "Non-recoverable error", EAI_NODATA "Name has no usable address" (musl 1.2.4+)
//   macOS: "nodename nor servname provided, or not known"
//   strerror, glibc / musl: ECONNREFUSED "Connection refused" (both), ENETUNREACH "Network is
//     unreachable" / "Network unreachable", EHOSTUNREACH "No route to host" / "Host is unreachable",
//     ETIMEDOUT "Connection timed out" / "Operation timed out" (macOS too)
const CONNECT = /^(?:Could not connect to Redis at |Error: )(?:.*: )?(.+?)\.?$/;
const CONNECT_REASONS: readonly [ReplyKind, RegExp][] = [
  [
    'dns',
    /^(?:Name or service not known|Temporary failure in name resolution|No address associated with hostname|Non-recoverable failure in name resolution|Name does not resolve|Try again|Non-recoverable error|Name has no usable address|nodename nor servname provided\b.*)$/,
  ],
  ['refused', /^Connection refused$/],
  [
    'net-unreachable',
    /^(?:Network is unreachable|Network unreachable|No route to host|Host is unreachable)$/,
  ],
  ['timeout', /^(?:Connection timed out|Operation timed out)$/],
];

// The command could not be started because redis-cli is not in the image or on the host. Seen in the
// lab (Podman 4.3 + runc, busybox image) and documented for the other runtimes and shells:
//   runc:    exec: "redis-cli": executable file not found in $PATH
//            exec: "/usr/bin/redis-cli": stat /usr/bin/redis-cli: no such file or directory
//   crun:    executable file `redis-cli` not found in $PATH: No such file or directory
//   busybox: sh: redis-cli: not found / timeout: can't execute 'redis-cli': No such file or directory
//   dash:    sh: 1: redis-cli: not found          bash: bash: redis-cli: command not found
//   coreutils: timeout: failed to run command 'redis-cli': No such file or directory
//              env: 'redis-cli': No such file or directory
const CLI = String.raw`(?:[^\s"'\`‘’]*/)?redis-cli`;
const Q = String.raw`["'\`‘’]`;
const TOOL_MISSING: readonly RegExp[] = [
  new RegExp(
    String.raw`exec: "${CLI}": (?:executable file not found in \$PATH|stat \S+: no such file or directory)`,
  ),
  new RegExp(`executable file ${Q}${CLI}${Q} not found`),
  new RegExp(String.raw`(?:^|\s)${CLI}: (?:command )?not found`),
  new RegExp(
    `(?:can't execute|failed to run command) ${Q}?${CLI}${Q}?: (?:No such file or directory|Permission denied)`,
  ),
  new RegExp(`^env: ${Q}?${CLI}${Q}?: No such file or directory`),
  new RegExp(`command not found: ${CLI}$`),
];

/** The kind one output line shows, if any. */
function lineKind(line: string): ReplyKind | undefined {
  if (TOOL_MISSING.some((re) => re.test(line))) return 'tool-missing';
  const pre = PREFIX.exec(line);
  const rest = line.slice(pre?.[0].length ?? 0);
  for (const [kind, re] of CODE_WORDS) if (re.test(rest)) return kind;
  // A refused AUTH whose reason is not one of the words above (an ERR of some kind).
  if (pre?.[1] === 'AUTH') return 'wrongpass';
  const c = CONNECT.exec(line);
  if (c) for (const [kind, re] of CONNECT_REASONS) if (re.test(c[1] ?? '')) return kind;
  return undefined;
}

// Other Redis error replies and redis-cli's own failures: the call did not give an answer.
const OTHER_ERROR =
  /^(?:\(error\)\s+)?(?:ERR|WRONGTYPE|EXECABORT|NOSCRIPT|NOREPLICAS|NOTBUSY|UNKILLABLE|BUSYKEY|BUSYGROUP|CROSSSLOT|CLUSTERDOWN|TRYAGAIN|MOVED|ASK|NOPROTO|Could not connect|Error:|AUTH failed|SELECT \d+ failed|HELLO \d+ failed)\b/;
const NOISE = /^Warning: Using a password with '-a' or '-u' option/;

export function classifyReply(r: ExecResult): Reply {
  const lines = allOutput(r)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  let best: Reply | undefined;
  let bestRank = RANK.length;
  for (const line of lines) {
    const kind = lineKind(line);
    if (kind === undefined) continue;
    const rank = RANK.indexOf(kind);
    if (rank < bestRank) {
      best = { kind, line };
      bestRank = rank;
    }
  }
  if (best) return best;
  if (r.unreachable) return { kind: 'unreachable', line: r.error ?? 'the target could not be reached' };
  if (r.timedOut) return { kind: 'timeout', line: r.error ?? 'timed out' };
  const firstLine = lines.find((l) => !NOISE.test(l)) ?? '';
  if (OTHER_ERROR.test(firstLine) || r.exitCode !== 0)
    return { kind: 'error', line: firstLine || `exit code ${r.exitCode}` };
  return { kind: 'ok', line: firstLine };
}
