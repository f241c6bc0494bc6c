import { describe, expect, it } from 'vitest';
import { classifyReply, type ReplyKind } from '../../src/runbooks/analyzers/redis-reply.js';
import type { ExecResult } from '../../src/runbooks/result.js';

const res = (
  exitCode: number | null,
  stdout: string,
  stderr = '',
  extra: Partial<ExecResult> = {},
): ExecResult => ({
  exitCode,
  stdout,
  stderr,
  durationMs: 1,
  timedOut: false,
  unreachable: false,
  truncated: false,
  ...extra,
});

const PW_WARNING =
  "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.";

type Row = [name: string, r: ExecResult, kind: ReplyKind, line: string];

// Redis's own replies, as redis-cli prints them without a TTY (bare, on stdout, exit 0).
const redisReplies: Row[] = [
  // server.c createSharedObjects, same text 5.0.14 → 7.4.1
  [
    'LOADING (server.c, 5.0.14–7.4.1)',
    res(0, 'LOADING Redis is loading the dataset in memory\n'),
    'loading',
    'LOADING Redis is loading the dataset in memory',
  ],
  [
    'BUSY script (server.c, 5.0.14–7.4.1; seen with 7.0.15 in the lab)',
    res(0, 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\n\n'),
    'busy',
    'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
  ],
  [
    'BUSY function (server.c, 7.0.15–7.4.1)',
    res(0, 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\n'),
    'busy',
    'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.',
  ],
  [
    'BUSY module (server.c, 7.0.15–7.4.1)',
    res(0, 'BUSY Redis is busy running a module command.\n'),
    'busy',
    'BUSY Redis is busy running a module command.',
  ],
  [
    'MASTERDOWN (server.c, 5.0.14–7.4.1; seen with 7.0.15 in the lab)',
    res(0, "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\n\n"),
    'masterdown',
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
  ],
  [
    'READONLY (server.c, 5.0.14–7.4.1; seen with 7.0.15 in the lab)',
    res(0, "READONLY You can't write against a read only replica.\n\n"),
    'readonly',
    "READONLY You can't write against a read only replica.",
  ],
  [
    'READONLY script (script.c, 7.0.15)',
    res(0, 'READONLY Can not run script with write flag on readonly replica\n'),
    'readonly',
    'READONLY Can not run script with write flag on readonly replica',
  ],
  [
    'NOPERM command (server.c, 6.2.14)',
    res(0, "NOPERM this user has no permissions to run the 'get' command or its subcommand\n"),
    'noperm',
    "NOPERM this user has no permissions to run the 'get' command or its subcommand",
  ],
  [
    'NOPERM command (seen with 7.0.15 in the lab, --user limited)',
    res(0, "NOPERM this user has no permissions to run the 'get' command\n\n", `${PW_WARNING}\n`),
    'noperm',
    "NOPERM this user has no permissions to run the 'get' command",
  ],
  [
    'NOPERM key (acl.c getAclErrorMessage, 7.2.6)',
    res(0, "NOPERM User app has no permissions to access the 'secret' key\n"),
    'noperm',
    "NOPERM User app has no permissions to access the 'secret' key",
  ],
  [
    'NOPERM with redis-cli -e: on stderr, exit 1 (seen with 7.0.15 in the lab)',
    res(1, '', `${PW_WARNING}\nNOPERM this user has no permissions to run the 'get' command\n`),
    'noperm',
    "NOPERM this user has no permissions to run the 'get' command",
  ],
  [
    'MISCONF (server.c, 7.0.15; seen in the lab)',
    res(
      0,
      "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.\n",
    ),
    'misconf',
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
  ],
  [
    'MISCONF (server.c, 5.0.14 wording)',
    res(
      0,
      'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk. Commands that may modify the data set are disabled.\n',
    ),
    'misconf',
    'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk. Commands that may modify the data set are disabled.',
  ],
  [
    'MISCONF AOF (server.c, 6.2.14)',
    res(0, 'MISCONF Errors writing to the AOF file: No space left on device\n'),
    'misconf',
    'MISCONF Errors writing to the AOF file: No space left on device',
  ],
  [
    'OOM (server.c, 5.0.14–7.4.1)',
    res(0, "OOM command not allowed when used memory > 'maxmemory'.\n"),
    'oom',
    "OOM command not allowed when used memory > 'maxmemory'.",
  ],
  [
    'OOM script flag (script.c, 7.0.15)',
    res(0, "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'\n"),
    'oom',
    "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
  ],
  [
    'max clients (networking.c, 5.0.14–7.4.1)',
    res(0, 'ERR max number of clients reached\n'),
    'max-clients',
    'ERR max number of clients reached',
  ],
  [
    'max clients with cluster (networking.c, 6.2.14–7.4.1)',
    res(0, 'ERR max number of clients + cluster connections reached\n'),
    'max-clients',
    'ERR max number of clients + cluster connections reached',
  ],
  [
    'max clients answered to the AUTH redis-cli sends first',
    res(0, '', `${PW_WARNING}\nAUTH failed: ERR max number of clients reached\n`),
    'max-clients',
    'AUTH failed: ERR max number of clients reached',
  ],
  [
    'NOAUTH (server.c, 5.0.14–7.4.1)',
    res(0, 'NOAUTH Authentication required.\n'),
    'noauth',
    'NOAUTH Authentication required.',
  ],
  [
    'NOAUTH on a TTY',
    res(0, '(error) NOAUTH Authentication required.\n'),
    'noauth',
    '(error) NOAUTH Authentication required.',
  ],
  [
    'wrong password, Redis 5 (server.c 5.0.14: ERR invalid password)',
    res(0, 'ERR invalid password\n'),
    'wrongpass',
    'ERR invalid password',
  ],
  [
    'wrong password, then NOAUTH: WRONGPASS first (redis-cli 6.2+ AUTH failed)',
    res(
      0,
      'NOAUTH Authentication required.\n',
      `${PW_WARNING}\nAUTH failed: WRONGPASS invalid username-password pair or user is disabled.\n`,
    ),
    'wrongpass',
    'AUTH failed: WRONGPASS invalid username-password pair or user is disabled.',
  ],
  [
    'wrong password for a user, command still answered as default (seen with 7.0.15 in the lab)',
    res(
      0,
      'PONG\n',
      `${PW_WARNING}\nAUTH failed: WRONGPASS invalid username-password pair or user is disabled.\n`,
    ),
    'wrongpass',
    'AUTH failed: WRONGPASS invalid username-password pair or user is disabled.',
  ],
  [
    'WRONGPASS, 6.0.20 wording',
    res(0, 'WRONGPASS invalid username-password pair\n'),
    'wrongpass',
    'WRONGPASS invalid username-password pair',
  ],
  [
    'a password sent to a server without one (seen with 7.0.15 in the lab)',
    res(
      0,
      'PONG\n',
      `${PW_WARNING}\nAUTH failed: ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\n`,
    ),
    'wrongpass',
    'AUTH failed: ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
  ],
];

// redis-cli: "Could not connect to Redis at %s:%d: %s" (redis-cli.c cliConnect, 5.0.14–7.4.1), the %s
// being hiredis's errstr: gai_strerror() or strerror() of the C library redis-cli is linked with.
const cc = (reason: string) => res(1, '', `Could not connect to Redis at cache:6379: ${reason}\n`);
const connectErrors: Row[] = [
  ...(
    [
      ['glibc EAI_NONAME (seen in the lab, seed 002)', 'Name or service not known', 'dns'],
      ['glibc EAI_AGAIN', 'Temporary failure in name resolution', 'dns'],
      ['glibc EAI_NODATA', 'No address associated with hostname', 'dns'],
      ['glibc EAI_FAIL', 'Non-recoverable failure in name resolution', 'dns'],
      ['musl EAI_NONAME (Alpine images)', 'Name does not resolve', 'dns'],
      ['musl EAI_AGAIN', 'Try again', 'dns'],
      ['musl EAI_FAIL', 'Non-recoverable error', 'dns'],
      ['musl 1.2.4+ EAI_NODATA', 'Name has no usable address', 'dns'],
      ['macOS EAI_NONAME', 'nodename nor servname provided, or not known', 'dns'],
      ['ECONNREFUSED (glibc and musl; seen in the lab)', 'Connection refused', 'refused'],
      ['glibc ENETUNREACH (seen in the lab, --network none)', 'Network is unreachable', 'net-unreachable'],
      ['musl ENETUNREACH', 'Network unreachable', 'net-unreachable'],
      ['glibc EHOSTUNREACH', 'No route to host', 'net-unreachable'],
      ['musl EHOSTUNREACH', 'Host is unreachable', 'net-unreachable'],
      ['glibc ETIMEDOUT', 'Connection timed out', 'timeout'],
      ['musl and macOS ETIMEDOUT', 'Operation timed out', 'timeout'],
    ] as const
  ).map(
    ([name, reason, kind]): Row => [
      name,
      cc(reason),
      kind,
      `Could not connect to Redis at cache:6379: ${reason}`,
    ],
  ),
  [
    'seen in the lab: refused on 127.0.0.1:1',
    res(1, '', 'Could not connect to Redis at 127.0.0.1:1: Connection refused\n'),
    'refused',
    'Could not connect to Redis at 127.0.0.1:1: Connection refused',
  ],
  [
    'seen in the lab: network unreachable from a container without a network',
    res(1, '', 'Could not connect to Redis at 10.89.0.250:6379: Network is unreachable\n'),
    'net-unreachable',
    'Could not connect to Redis at 10.89.0.250:6379: Network is unreachable',
  ],
  [
    'IPv6 address with colons',
    res(1, '', 'Could not connect to Redis at ::1:6379: Connection refused\n'),
    'refused',
    'Could not connect to Redis at ::1:6379: Connection refused',
  ],
  [
    'cluster form with a trailing dot (redis-cli.c 6.2.14)',
    res(1, '', 'Could not connect to Redis at 10.89.0.5:6379: Connection refused.\n'),
    'refused',
    'Could not connect to Redis at 10.89.0.5:6379: Connection refused.',
  ],
  [
    'a unix socket that is not there is an error, not a tool missing',
    res(1, '', 'Could not connect to Redis at /run/redis/redis.sock: No such file or directory\n'),
    'error',
    'Could not connect to Redis at /run/redis/redis.sock: No such file or directory',
  ],
  [
    'the password warning is not the line that shows it',
    res(1, '', `${PW_WARNING}\nCould not connect to Redis at cache:6379: Name does not resolve\n`),
    'dns',
    'Could not connect to Redis at cache:6379: Name does not resolve',
  ],
];

// redis-cli absent from the image. The first four rows are the exact output seen in the lab
// (Podman 4.3 Docker API with runc, busybox image, redis-cli removed), via dockerode exec: exit 127.
const toolMissing: Row[] = [
  [
    'lab, Docker API exec ["redis-cli", ...] (runc)',
    res(
      127,
      '',
      'Error: runc: exec failed: unable to start container process: exec: "redis-cli": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found\nError: read unixpacket @->/proc/self/fd/14/attach: read: connection reset by peer\n',
    ),
    'tool-missing',
    'Error: runc: exec failed: unable to start container process: exec: "redis-cli": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found',
  ],
  [
    'lab, Docker API exec ["timeout", "-s", "KILL", "15", "redis-cli", ...] (busybox timeout, as the executor runs it)',
    res(127, '', "timeout: can't execute 'redis-cli': No such file or directory\n"),
    'tool-missing',
    "timeout: can't execute 'redis-cli': No such file or directory",
  ],
  [
    'lab, Docker API exec ["sh", "-c", "redis-cli PING"] (busybox sh)',
    res(127, '', 'sh: redis-cli: not found\n'),
    'tool-missing',
    'sh: redis-cli: not found',
  ],
  [
    'lab, Docker API exec ["/usr/bin/redis-cli", ...] (runc, absolute path)',
    res(
      127,
      '',
      'Error: runc: exec failed: unable to start container process: exec: "/usr/bin/redis-cli": stat /usr/bin/redis-cli: no such file or directory: OCI runtime attempted to invoke a command that was not found\nError: read unixpacket @->/proc/self/fd/14/attach: read: connection reset by peer\n',
    ),
    'tool-missing',
    'Error: runc: exec failed: unable to start container process: exec: "/usr/bin/redis-cli": stat /usr/bin/redis-cli: no such file or directory: OCI runtime attempted to invoke a command that was not found',
  ],
  [
    'Docker Engine with runc',
    res(
      126,
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "redis-cli": executable file not found in $PATH: unknown\n',
    ),
    'tool-missing',
    'OCI runtime exec failed: exec failed: unable to start container process: exec: "redis-cli": executable file not found in $PATH: unknown',
  ],
  [
    'Podman with crun',
    res(
      127,
      '',
      'Error: crun: executable file `redis-cli` not found in $PATH: No such file or directory: OCI runtime attempted to invoke a command that was not found\n',
    ),
    'tool-missing',
    'Error: crun: executable file `redis-cli` not found in $PATH: No such file or directory: OCI runtime attempted to invoke a command that was not found',
  ],
  [
    'bash',
    res(127, '', 'bash: redis-cli: command not found\n'),
    'tool-missing',
    'bash: redis-cli: command not found',
  ],
  [
    'bash -c over SSH',
    res(127, '', 'bash: line 1: redis-cli: command not found\n'),
    'tool-missing',
    'bash: line 1: redis-cli: command not found',
  ],
  ['dash', res(127, '', 'sh: 1: redis-cli: not found\n'), 'tool-missing', 'sh: 1: redis-cli: not found'],
  [
    'coreutils timeout (C locale)',
    res(127, '', "timeout: failed to run command 'redis-cli': No such file or directory\n"),
    'tool-missing',
    "timeout: failed to run command 'redis-cli': No such file or directory",
  ],
  [
    'coreutils timeout (UTF-8 locale)',
    res(127, '', 'timeout: failed to run command ‘redis-cli’: No such file or directory\n'),
    'tool-missing',
    'timeout: failed to run command ‘redis-cli’: No such file or directory',
  ],
  [
    'coreutils timeout, not executable (exit 126)',
    res(126, '', "timeout: failed to run command '/usr/local/bin/redis-cli': Permission denied\n"),
    'tool-missing',
    "timeout: failed to run command '/usr/local/bin/redis-cli': Permission denied",
  ],
];

const otherRows: Row[] = [
  ['PONG', res(0, 'PONG\n'), 'ok', 'PONG'],
  ['PONG after the password warning', res(0, 'PONG\n', `${PW_WARNING}\n`), 'ok', 'PONG'],
  [
    'BUSYKEY is an ordinary error, not busy',
    res(0, 'BUSYKEY Target key name already exists.\n'),
    'error',
    'BUSYKEY Target key name already exists.',
  ],
  [
    'BUSYGROUP is an ordinary error, not busy',
    res(0, 'BUSYGROUP Consumer Group name already exists\n'),
    'error',
    'BUSYGROUP Consumer Group name already exists',
  ],
  [
    'WRONGTYPE',
    res(0, 'WRONGTYPE Operation against a key holding the wrong kind of value\n'),
    'error',
    'WRONGTYPE Operation against a key holding the wrong kind of value',
  ],
  [
    'a code word inside a value does not count',
    res(0, 'user said NOAUTH once\n'),
    'ok',
    'user said NOAUTH once',
  ],
  [
    'connection dropped mid-command',
    res(1, '', 'Error: Server closed the connection\n'),
    'error',
    'Error: Server closed the connection',
  ],
  [
    'timed out with no other pattern',
    res(null, '', '', { timedOut: true, error: 'timed out after 15000 ms' }),
    'timeout',
    'timed out after 15000 ms',
  ],
  [
    'timed out, but the output says LOADING',
    res(null, 'LOADING Redis is loading the dataset in memory\n', '', { timedOut: true }),
    'loading',
    'LOADING Redis is loading the dataset in memory',
  ],
  [
    'unreachable target',
    res(null, '', '', { unreachable: true, error: 'connect ECONNREFUSED /run/x.sock' }),
    'unreachable',
    'connect ECONNREFUSED /run/x.sock',
  ],
  ['non-zero exit, no text', res(2, ''), 'error', 'exit code 2'],
];

describe('classifyReply', () => {
  it.each(redisReplies)('Redis reply: %s', (_name, r, kind, line) => {
    expect(classifyReply(r)).toEqual({ kind, line });
  });

  it.each(connectErrors)('redis-cli connect error: %s', (_name, r, kind, line) => {
    expect(classifyReply(r)).toEqual({ kind, line });
  });

  it.each(toolMissing)('redis-cli missing: %s', (_name, r, kind, line) => {
    expect(classifyReply(r)).toEqual({ kind, line });
  });

  it.each(otherRows)('%s', (_name, r, kind, line) => {
    expect(classifyReply(r)).toEqual({ kind, line });
  });

  it('No route to host is a network problem, not a timeout', () => {
    expect(classifyReply(cc('No route to host')).kind).toBe('net-unreachable');
  });

  it('a timed-out call whose output shows a refused connection reports the refusal', () => {
    expect(classifyReply({ ...cc('Connection refused'), timedOut: true }).kind).toBe('refused');
  });

  it('reads the error reason too', () => {
    expect(classifyReply(res(null, '', '', { error: 'sh: redis-cli: not found' })).kind).toBe('tool-missing');
  });
});
