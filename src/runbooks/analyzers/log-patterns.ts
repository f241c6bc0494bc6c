import type { Severity } from '../model.js';

// Redis log lines mapped to finding codes. The wordings are Redis's own (src/rdb.c, aof.c, server.c,
// acl.c, config.c of 3.x to 7.4); where a line carries strerror(errno), the reason decides the code:
// a permission problem is fixed by an owner change, a full disk or a read-only mount is not.

type Sev = Exclude<Severity, 'unknown'>;

export const CODE_SEVERITY = {
  'rdb-permission-denied': 'critical',
  'aof-permission-denied': 'critical',
  'disk-full': 'critical',
  'read-only-fs': 'critical',
  'persistence-error-logged': 'critical',
  'bgsave-error-logged': 'critical',
  'misconf-logged': 'critical',
  'oom-logged': 'warning',
  'max-clients-logged': 'warning',
  'acl-load-failed': 'critical',
  'config-load-failed': 'critical',
  'log-history': 'info',
} as const satisfies Record<string, Sev>;

export type LogCode = keyof typeof CODE_SEVERITY;

/** Every code scanLogs can emit. */
export const LOG_CODES: readonly string[] = Object.keys(CODE_SEVERITY);

export interface LogPattern {
  /** Which wording this is, for listings and tests. */
  name: string;
  re: RegExp;
  /** The code and statement for a matching line. */
  finding: (m: RegExpExecArray) => { code: LogCode; statement: string };
}

/** The strerror text after the line's last ": ", without Redis's trailing "." or ". Exiting..." */
const reasonOf = (m: RegExpExecArray): string => {
  const at = m[0].lastIndexOf(': ');
  return at < 0 ? '' : m[0].slice(at + 2).replace(/\.(?: Exiting\.(?:\.\.)?)?$/, '');
};

type Family = 'rdb' | 'aof';

// strerror texts, glibc and musl (EACCES, ENOSPC, EDQUOT, EROFS).
function byReason(family: Family, reason: string): LogCode {
  if (/Permission denied/i.test(reason))
    return family === 'rdb' ? 'rdb-permission-denied' : 'aof-permission-denied';
  if (/No space left on device|Disk quota exceeded|Quota exceeded/i.test(reason)) return 'disk-full';
  if (/Read-only file system/i.test(reason)) return 'read-only-fs';
  return 'persistence-error-logged';
}

function statementFor(code: LogCode, what: string, reason: string, dir?: string): string {
  const where = dir ? ` in ${dir}` : '';
  switch (code) {
    case 'rdb-permission-denied':
    case 'aof-permission-denied':
      return `Redis cannot ${what}${where}: Permission denied`;
    case 'disk-full':
      return `Redis cannot ${what}${where}: the disk is full (${reason})`;
    case 'read-only-fs':
      return `Redis cannot ${what}${where}: its filesystem is mounted read-only`;
    default:
      return `Redis cannot ${what}${where}: ${reason || 'error'}`;
  }
}

/** A persistence line ending in strerror: the reason picks the code. dirGroup: the capture holding the root dir. */
const persistence = (name: string, family: Family, what: string, re: RegExp, dirGroup?: 2): LogPattern => ({
  name,
  re,
  finding: (m) => {
    const reason = reasonOf(m);
    const code = byReason(family, reason);
    return { code, statement: statementFor(code, what, reason, dirGroup ? m[dirGroup] : undefined) };
  },
});

const fixed = (code: LogCode, statement: string) => (): { code: LogCode; statement: string } => ({
  code,
  statement,
});

// Every persistence pattern ends in the reason; group 2, where a pattern has it, is the server root dir.
const R = `: [^:]+$`;
const rdbWrite = 'write its RDB snapshot';
const aofWrite = 'write its append-only file';

export const LOG_PATTERNS: readonly LogPattern[] = [
  // ---- RDB. For the rdb-permission-denied variants that name it, capture group 2 is the server root dir.
  // 7.0+: "Failed opening the temp RDB file %s (in server root dir %s) for saving: %s"
  // 3.2–6.2: "Failed opening the RDB file %s (in server root dir %s) for saving: %s" (names the final
  // file, e.g. dump.rdb, though the temp file is the one that failed)
  persistence(
    'rdb-open',
    'rdb',
    rdbWrite,
    new RegExp(
      String.raw`Failed opening the (?:temp )?RDB file (.+?) \(in server root dir (.+?)\) for saving${R}`,
    ),
    2,
  ),
  // ≤3.0: "Failed opening .rdb for saving: %s"
  persistence('rdb-open-old', 'rdb', rdbWrite, new RegExp(String.raw`Failed opening \.rdb for saving${R}`)),
  // 3.2+: "Error moving temp DB file %s on the final destination %s (in server root dir %s): %s"
  persistence(
    'rdb-rename',
    'rdb',
    'move its new RDB snapshot into place',
    new RegExp(
      String.raw`Error moving temp DB file \S+ on the final destination (.+?) \(in server root dir (.+?)\)${R}`,
    ),
    2,
  ),
  // ≤3.0: "Error moving temp DB file on the final destination: %s"
  persistence(
    'rdb-rename-old',
    'rdb',
    'move its new RDB snapshot into place',
    new RegExp(`Error moving temp DB file on the final destination${R}`),
  ),
  // ≤6.2 "Write error saving DB on disk: %s"; 7.0 "Write error saving DB on disk(%s): %s";
  // 7.2+ "Write error while saving DB to the disk(%s): %s" (the %s in brackets is the failing call)
  persistence(
    'rdb-write',
    'rdb',
    rdbWrite,
    new RegExp(String.raw`Write error (?:saving DB on disk|while saving DB to the disk)(?:\(\w+\))?${R}`),
  ),
  // 7.2+: "Failed to fsync directory while saving DB: %s"
  persistence('rdb-fsync-dir', 'rdb', rdbWrite, new RegExp(`Failed to fsync directory while saving DB${R}`)),
  // 7.0+: "Fatal error: can't open the RDB file %s for reading: %s" (then "Fatal error loading the DB, ...")
  // ≤6.2: "Fatal error loading the DB: %s. Exiting."
  persistence(
    'rdb-load',
    'rdb',
    'read its RDB file',
    new RegExp(`(?:Fatal error: can't open the RDB file .+? for reading|Fatal error loading the DB)${R}`),
  ),

  // ---- AOF
  // 7.0+: "Can't open or create append-only dir %s: %s" (seed 001, seen in the lab)
  persistence(
    'aof-dir',
    'aof',
    'create its append-only dir',
    new RegExp(`Can't open or create append-only dir (.+?)${R}`),
  ),
  // ≤6.2 (server.c): "Can't open the append-only file: %s"; 7.0+ (aof.c): "Can't open the append-only file %s: %s"
  persistence('aof-open', 'aof', aofWrite, new RegExp(`Can't open the append-only file(?: (.+?))?${R}`)),
  // ≤6.2, CONFIG SET appendonly yes: "Redis needs to enable the AOF but can't open the append only file %s (in server root dir %s): %s"
  persistence(
    'aof-enable',
    'aof',
    aofWrite,
    new RegExp(String.raw`can't open the append only file (.+?) \(in server root dir (.+?)\)${R}`),
    2,
  ),
  // 7.0+: "Can't open the AOF manifest file %s: %s", "Fatal error: can't open the AOF manifest file %s
  // for reading: %s", "Error trying to write the temporary AOF manifest file %s: %s"
  persistence(
    'aof-manifest',
    'aof',
    'use its AOF manifest',
    new RegExp(
      `(?:Can't open the AOF manifest file .+?|can't open the AOF manifest file .+? for reading|Error trying to write the temporary AOF manifest file .+?)${R}`,
    ),
  ),
  // ≤6.2: "Error trying to rename the temporary AOF file %s into %s: %s"; 7.0+: "... AOF base file",
  // "... AOF incr file", "... AOF manifest file"
  persistence(
    'aof-rename',
    'aof',
    'move its rewritten append-only file into place',
    new RegExp(`Error trying to rename the temporary AOF (?:base |incr |manifest )?file (.+?) into .+?${R}`),
  ),
  // "Error writing to the AOF file: %s" (all); rewrite child: "Write error writing append only file on
  // disk: %s", "Error moving temp append only file on the final destination: %s", "Opening the temp
  // file for AOF rewrite in rewriteAppendOnlyFile(): %s"; 6.2+: "Fail to fsync the AOF file: %s";
  // "Can't persist AOF for fsync error when the AOF fsync policy is 'always': %s. Exiting..."
  persistence(
    'aof-write',
    'aof',
    aofWrite,
    new RegExp(
      String.raw`(?:Error writing to the AOF file|Write error writing append only file on disk|Error moving temp append only file on the final destination|Opening the temp file for AOF rewrite in rewriteAppendOnlyFile\(\)|Fail to fsync the AOF file|Fail to fsync the temp AOF file \S+|Fail to fsync AOF directory \S+|Can't persist AOF for fsync error when the AOF fsync policy is 'always')${R}`,
    ),
  ),
  // Reading it at start: "Fatal error: can't open the append log file [%s ]for reading: %s",
  // "Unrecoverable error reading the append only file[ %s]: %s"
  persistence(
    'aof-load',
    'aof',
    'read its append-only file',
    new RegExp(
      `(?:can't open the append log file (?:.+? )?for reading|Unrecoverable error reading the append only file(?: .+?)?)${R}`,
    ),
  ),
  // No reason on these: the child's own line (above) has it.
  {
    name: 'aof-rewrite-error',
    re: /Background AOF rewrite terminated with error|Background AOF rewrite terminated by signal \d+|Background AOF rewrite has repeatedly failed/,
    finding: fixed('persistence-error-logged', 'Background AOF rewrites are failing'),
  },

  // ---- Background saves: "Background saving error"; "Background saving terminated by signal %d"
  // (a child killed by anything but SIGUSR1, which is 10 on Linux, marks the save failed);
  // "Can't save in background: fork: %s".
  {
    name: 'bgsave-error',
    re: /Background saving error|Background saving terminated by signal (?!10\b)\d+|Can't save in background: fork: (.+)$/,
    finding: (m) => ({
      code: 'bgsave-error-logged',
      statement: m[1]
        ? `Background saves are failing: fork failed (${m[1]})`
        : 'Background saves are failing (Background saving error)',
    }),
  },
  // Redis does not log MISCONF or the OOM / max-clients refusals itself; an application log may.
  {
    name: 'misconf',
    re: /MISCONF[^\n]*/,
    finding: fixed('misconf-logged', 'Writes were refused with MISCONF (persistence failing)'),
  },
  {
    // "Out Of Memory allocating %zu bytes!" is Redis's own, just before it aborts.
    name: 'oom',
    re: /OOM command not allowed[^\n]*|Out Of Memory allocating/,
    finding: fixed('oom-logged', 'Redis refused commands for lack of memory'),
  },
  {
    name: 'max-clients',
    re: /max number of clients(?: \+ cluster connections)? reached/,
    finding: fixed('max-clients-logged', 'Redis refused connections: max number of clients reached'),
  },

  // ---- ACLs (6.0+), acl.c ACLLoadUsersAtStartup / ACLLoadFromFile and config.c:
  // "Aborting Redis startup because of ACL errors: %s" (e.g. "Error loading ACLs, opening file '%s': %s"),
  // "Critical error while loading ACLs. Exiting.", "Configuring Redis with users defined in redis.conf
  // and at the same setting an ACL file path is invalid. ...", "Error in user declaration '%s': %s"
  {
    name: 'acl',
    re: /Aborting Redis startup because of ACL errors[^\n]*|Error loading ACLs[^\n]*|Critical error while loading ACLs|Error in user declaration[^\n]*|Configuring Redis with users defined in redis\.conf and at the same setting an ACL file path is invalid/,
    finding: fixed('acl-load-failed', 'Redis failed to load its ACL users'),
  },

  // ---- Config file, read before the start banner is printed, so a failed start shows no banner:
  // 6.0+: "Fatal error, can't open config file '%s': %s"; ≤5.0: "Fatal error, can't open config file '%s'"
  // A bad directive: "*** FATAL CONFIG FILE ERROR (Redis %s) ***" (6.0+, "*** FATAL CONFIG FILE ERROR ***" before).
  {
    name: 'config-open',
    re: /Fatal error, can't open config file '([^']*)'(?:: (.+))?/,
    finding: (m) => ({
      code: 'config-load-failed',
      statement: `Redis could not read its config file ${m[1]}${m[2] ? `: ${m[2]}` : ''}`,
    }),
  },
  {
    name: 'config-parse',
    re: /\*\*\* FATAL CONFIG FILE ERROR(?: \(Redis [^)]*\))? \*\*\*/,
    finding: fixed('config-load-failed', 'Redis could not read its config file: FATAL CONFIG FILE ERROR'),
  },

  // ---- Whatever the line, these reasons mean the same wherever Redis logs them.
  {
    name: 'disk-full-any',
    re: /No space left on device/,
    finding: fixed('disk-full', 'Redis reports the disk is full (No space left on device)'),
  },
  {
    name: 'read-only-fs-any',
    re: /Read-only file system/,
    finding: fixed('read-only-fs', 'Redis reports its filesystem is mounted read-only'),
  },

  // ---- The error monitor's four patterns (the self-healing design the AOF runbook comes from),
  // case-insensitive and last: a line none of Redis's own wordings above names, such as a wrapper's
  // message or an aggregator's lowercased copy, still counts.
  // To the end of the line, so that the reason, when there is one, decides the code.
  persistence('aof-dir-any-case', 'aof', aofWrite, /can't open or create append-only dir.*$/i),
  {
    name: 'appendonlydir-denied-any',
    re: /appendonlydir.*permission denied/i,
    finding: fixed('aof-permission-denied', `Redis cannot ${aofWrite} in appendonlydir: Permission denied`),
  },
  persistence('aof-create-any-case', 'aof', aofWrite, /can't create\/write to append only file.*$/i),
  {
    name: 'redis-denied-any',
    re: /redis.*permission denied/i,
    finding: fixed('persistence-error-logged', 'Redis logged a "Permission denied" error'),
  },
];
