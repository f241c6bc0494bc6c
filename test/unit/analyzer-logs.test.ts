import { describe, expect, it } from 'vitest';
import { LOG_CODES, LOG_PATTERNS } from '../../src/runbooks/analyzers/log-patterns.js';
import { scanLogs } from '../../src/runbooks/analyzers/log-scan.js';

const BANNER = '1:C 01 Dec 2026 21:57:14.388 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo';
const at = (pid: string, msg: string) => `${pid} 01 Dec 2026 21:57:07.952 # ${msg}`;

const codes = (text: string) => scanLogs(text).findings.map((f) => f.code);

// One log line per row: the wording of a Redis version (tag and file named) → the code it gives.
type Row = [name: string, line: string, code: string];

const rdbRows: Row[] = [
  [
    '7.0.15 rdb.c, seen in the lab (seed 000)',
    at(
      '15:C',
      'Failed opening the temp RDB file temp-15.rdb (in server root dir /data) for saving: Permission denied',
    ),
    'rdb-permission-denied',
  ],
  [
    '6.2.14 rdb.c "Failed opening the RDB file"',
    at(
      '27:C',
      'Failed opening the RDB file dump.rdb (in server root dir /data) for saving: Permission denied',
    ),
    'rdb-permission-denied',
  ],
  [
    '5.0.14 rdb.c "Failed opening the RDB file", disk full',
    at(
      '27:C',
      'Failed opening the RDB file dump.rdb (in server root dir /data) for saving: No space left on device',
    ),
    'disk-full',
  ],
  [
    '7.2.6 rdb.c, read-only mount',
    at(
      '15:C',
      'Failed opening the temp RDB file temp-15.rdb (in server root dir /data) for saving: Read-only file system',
    ),
    'read-only-fs',
  ],
  [
    '3.0.7 rdb.c "Failed opening .rdb for saving"',
    at('9:C', 'Failed opening .rdb for saving: Permission denied'),
    'rdb-permission-denied',
  ],
  [
    '6.2.14 rdb.c "Error moving temp DB file"',
    at(
      '1:M',
      'Error moving temp DB file temp-27.rdb on the final destination dump.rdb (in server root dir /data): Permission denied',
    ),
    'rdb-permission-denied',
  ],
  [
    '7.2.6 rdb.c "Error moving temp DB file", read-only',
    at(
      '1:M',
      'Error moving temp DB file temp-27.rdb on the final destination dump.rdb (in server root dir /data): Read-only file system',
    ),
    'read-only-fs',
  ],
  [
    '5.0.14 rdb.c "Write error saving DB on disk"',
    at('27:C', 'Write error saving DB on disk: No space left on device'),
    'disk-full',
  ],
  [
    '7.0.15 rdb.c "Write error saving DB on disk(%s)"',
    at('27:C', 'Write error saving DB on disk(fsync): No space left on device'),
    'disk-full',
  ],
  [
    '7.2.6 rdb.c "Write error while saving DB to the disk(%s)"',
    at('27:C', 'Write error while saving DB to the disk(rdbSaveRio): No space left on device'),
    'disk-full',
  ],
  [
    'disk quota (EDQUOT, glibc)',
    at('27:C', 'Write error saving DB on disk: Disk quota exceeded'),
    'disk-full',
  ],
  [
    '7.2.6 rdb.c, another reason',
    at('27:C', 'Write error while saving DB to the disk(fsync): Input/output error'),
    'persistence-error-logged',
  ],
  [
    '7.0.15 rdb.c, reading the RDB at start',
    at('1:M', "Fatal error: can't open the RDB file dump.rdb for reading: Permission denied"),
    'rdb-permission-denied',
  ],
  [
    '6.2.14 server.c "Fatal error loading the DB"',
    at('1:M', 'Fatal error loading the DB: Permission denied. Exiting.'),
    'rdb-permission-denied',
  ],
  [
    '5.0.14–7.4.1 rdb.c "Background saving error"',
    at('1:M', 'Background saving error'),
    'bgsave-error-logged',
  ],
  [
    'rdb.c "Background saving terminated by signal 9"',
    at('1:M', 'Background saving terminated by signal 9'),
    'bgsave-error-logged',
  ],
  [
    'rdb.c "Can\'t save in background: fork"',
    at('1:M', "Can't save in background: fork: Cannot allocate memory"),
    'bgsave-error-logged',
  ],
];

const aofRows: Row[] = [
  [
    '7.0.15 aof.c, seen in the lab (seed 001)',
    at('1:M', "Can't open or create append-only dir appendonlydir: Permission denied"),
    'aof-permission-denied',
  ],
  [
    '7.2.6 aof.c append-only dir, disk full',
    at('1:M', "Can't open or create append-only dir appendonlydir: No space left on device"),
    'disk-full',
  ],
  [
    '5.0.14 server.c "Can\'t open the append-only file"',
    at('1:M', "Can't open the append-only file: Permission denied"),
    'aof-permission-denied',
  ],
  [
    '6.2.14 server.c "Can\'t open the append-only file", read-only',
    at('1:M', "Can't open the append-only file: Read-only file system"),
    'read-only-fs',
  ],
  [
    '7.0.15 aof.c "Can\'t open the append-only file %s"',
    at('1:M', "Can't open the append-only file appendonly.aof.1.incr.aof: Permission denied"),
    'aof-permission-denied',
  ],
  [
    '6.2.14 aof.c startAppendOnly',
    at(
      '1:M',
      "Redis needs to enable the AOF but can't open the append only file appendonly.aof (in server root dir /data): Permission denied",
    ),
    'aof-permission-denied',
  ],
  [
    '5.0.14 aof.c rename after rewrite',
    at(
      '1:M',
      'Error trying to rename the temporary AOF file temp-rewriteaof-bg-38.aof into appendonly.aof: Permission denied',
    ),
    'aof-permission-denied',
  ],
  [
    '7.0.15 aof.c rename base file',
    at(
      '1:M',
      'Error trying to rename the temporary AOF base file temp-rewriteaof-bg-38.aof into appendonly.aof.2.base.rdb: Read-only file system',
    ),
    'read-only-fs',
  ],
  [
    '7.2.6 aof.c rename manifest',
    at(
      '1:M',
      'Error trying to rename the temporary AOF manifest file temp-appendonly.aof.manifest into appendonly.aof.manifest: Permission denied',
    ),
    'aof-permission-denied',
  ],
  [
    '7.0.15 aof.c manifest for reading',
    at(
      '1:M',
      "Fatal error: can't open the AOF manifest file appendonly.aof.manifest for reading: Permission denied",
    ),
    'aof-permission-denied',
  ],
  [
    '5.0.14–7.4.1 aof.c "Error writing to the AOF file"',
    at('1:M', 'Error writing to the AOF file: No space left on device'),
    'disk-full',
  ],
  [
    '6.2.14 aof.c rewrite child open',
    at('38:C', 'Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): Permission denied'),
    'aof-permission-denied',
  ],
  [
    '6.2.14 aof.c "Write error writing append only file on disk"',
    at('38:C', 'Write error writing append only file on disk: No space left on device'),
    'disk-full',
  ],
  [
    '7.2.6 aof.c fsync, trailing dot',
    at('1:M', 'Fail to fsync AOF directory appendonlydir: Input/output error.'),
    'persistence-error-logged',
  ],
  [
    '6.2.14 aof.c fsync policy always',
    at(
      '1:M',
      "Can't persist AOF for fsync error when the AOF fsync policy is 'always': No space left on device. Exiting...",
    ),
    'disk-full',
  ],
  [
    '5.0.14–7.4.1 aof.c "Background AOF rewrite terminated with error"',
    at('1:M', 'Background AOF rewrite terminated with error'),
    'persistence-error-logged',
  ],
];

const otherRows: Row[] = [
  [
    '7.0.15 acl.c, seen in the lab (--aclfile missing)',
    at(
      '1:M',
      "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '/nonexistent.acl': No such file or directory",
    ),
    'acl-load-failed',
  ],
  ['6.0.20–7.4.1 acl.c', at('1:M', 'Critical error while loading ACLs. Exiting.'), 'acl-load-failed'],
  [
    '7.0.15 config.c, seen in the lab (--user foo badrule)',
    "Error in user declaration 'user': Syntax error",
    'acl-load-failed',
  ],
  [
    '6.0.20 acl.c, users in both places',
    at(
      '1:M',
      'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.',
    ),
    'acl-load-failed',
  ],
  [
    '7.0.15 config.c, seen in the lab (missing config file)',
    "1:C 01 Dec 2026 21:57:06.101 # Fatal error, can't open config file '/nonexistent.conf': No such file or directory",
    'config-load-failed',
  ],
  [
    '5.0.14 config.c, no reason',
    at('1:C', "Fatal error, can't open config file '/etc/redis/redis.conf'"),
    'config-load-failed',
  ],
  [
    '7.0.15 config.c, bad directive (seen in the lab)',
    '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***',
    'config-load-failed',
  ],
  ['5.0.14 config.c, bad directive', '*** FATAL CONFIG FILE ERROR ***', 'config-load-failed'],
  ['server.c zmalloc OOM handler', at('1:M', 'Out Of Memory allocating 16384 bytes!'), 'oom-logged'],
  [
    'OOM reply in an application log',
    "OOM command not allowed when used memory > 'maxmemory'.",
    'oom-logged',
  ],
  ['max clients in an application log', 'ERR max number of clients reached', 'max-clients-logged'],
  ['MISCONF in an application log', 'MISCONF Redis is configured to save RDB snapshots', 'misconf-logged'],
  ['any other line with ENOSPC', at('1:M', 'Failed to write PID file: No space left on device'), 'disk-full'],
];

describe('scanLogs: the reason decides the code', () => {
  it.each([...rdbRows, ...aofRows, ...otherRows])('%s', (_name, line, code) => {
    const scan = scanLogs(line);
    expect(scan.findings.map((f) => f.code)).toEqual([code]);
    expect(scan.findings[0]?.evidence).toEqual([line.trim()]);
    expect(scan.history).toEqual([]);
  });

  it.each([
    ['SIGUSR1 is a deliberate kill, not a failed save', 'Background saving terminated by signal 10'],
    ['a successful save', 'Background saving terminated with success'],
    ['a successful rewrite', 'Background AOF rewrite terminated with success'],
    ['an ACL SAVE is not an ACL load', 'Opening temp ACL file for ACL SAVE: Permission denied'],
  ])('no finding: %s', (_name, line) => {
    expect(codes(at('1:M', line))).toEqual([]);
  });

  it('keeps group 2 = the server root dir for every rdb-permission-denied wording that names it', () => {
    const dir = (line: string) => scanLogs(line).firstMatch.get('rdb-permission-denied')?.[2];
    expect(dir(rdbRows[0]?.[1] ?? '')).toBe('/data');
    expect(dir(rdbRows[1]?.[1] ?? '')).toBe('/data');
    expect(dir(rdbRows[5]?.[1] ?? '')).toBe('/data');
    expect(
      dir(
        'Failed opening the RDB file dump.rdb (in server root dir /srv/my data) for saving: Permission denied',
      ),
    ).toBe('/srv/my data');
    // Wordings without the dir never put the reason in group 2.
    expect(dir('Fatal error loading the DB: Permission denied. Exiting.')).toBeUndefined();
    expect(dir('Write error saving DB on disk: Permission denied')).toBeUndefined();
  });

  it('names the dir and the reason in the statement', () => {
    const [f] = scanLogs(rdbRows[0]?.[1] ?? '').findings;
    expect(f?.statement).toBe('Redis cannot write its RDB snapshot in /data: Permission denied');
    expect(f?.severity).toBe('critical');
  });

  it('every code it emits is in LOG_CODES, and LOG_CODES has the documented ones', () => {
    const all = [...rdbRows, ...aofRows, ...otherRows].map(([, line]) => line).join('\n');
    for (const c of codes(all)) expect(LOG_CODES).toContain(c);
    expect([...LOG_CODES].sort()).toEqual(
      [
        'acl-load-failed',
        'aof-permission-denied',
        'bgsave-error-logged',
        'config-load-failed',
        'disk-full',
        'log-history',
        'max-clients-logged',
        'misconf-logged',
        'oom-logged',
        'persistence-error-logged',
        'rdb-permission-denied',
        'read-only-fs',
      ].sort(),
    );
    expect(LOG_PATTERNS.length).toBeGreaterThan(10);
  });

  it('counts repeats and keeps the latest three lines', () => {
    const lines = [1, 2, 3, 4, 5].map((n) =>
      at(
        `${n}:C`,
        `Failed opening the temp RDB file temp-${n}.rdb (in server root dir /data) for saving: Permission denied`,
      ),
    );
    const [f] = scanLogs(lines.join('\n')).findings;
    expect(f?.evidence).toEqual(lines.slice(-3));
    expect(f?.statement).toBe(
      'Redis cannot write its RDB snapshot in /data: Permission denied (5 times in the last 5 lines)',
    );
  });
});

// `podman logs` of one container over two runs, exactly as the lab printed it (Redis 7.0.15, --dir /
// unwritable by uid 999, BGSAVE, SAVE, then a restart). The overcommit warning lines are left out.
const LAB_TWO_RUNS = `1:C 01 Dec 2026 21:57:06.833 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo
1:C 01 Dec 2026 21:57:06.833 # Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=1, just started
1:C 01 Dec 2026 21:57:06.833 # Configuration loaded
1:M 01 Dec 2026 21:57:06.834 * monotonic clock: POSIX clock_gettime
1:M 01 Dec 2026 21:57:06.835 * Running mode=standalone, port=6379.
1:M 01 Dec 2026 21:57:06.835 # Server initialized
1:M 01 Dec 2026 21:57:06.836 * Ready to accept connections
1:M 01 Dec 2026 21:57:07.952 * Background saving started by pid 15
15:C 01 Dec 2026 21:57:07.952 # Failed opening the temp RDB file temp-15.rdb (in server root dir /) for saving: Permission denied
1:M 01 Dec 2026 21:57:08.042 # Background saving error
1:M 01 Dec 2026 21:57:09.107 # Failed opening the temp RDB file temp-1.rdb (in server root dir /) for saving: Permission denied
1:signal-handler (1796162233) Received SIGTERM scheduling shutdown...
1:M 01 Dec 2026 21:57:13.264 # User requested shutdown...
1:M 01 Dec 2026 21:57:13.264 * Saving the final RDB snapshot before exiting.
1:M 01 Dec 2026 21:57:13.264 # Failed opening the temp RDB file temp-1.rdb (in server root dir /) for saving: Permission denied
1:M 01 Dec 2026 21:57:13.264 # Error trying to save the DB, can't exit.
1:M 01 Dec 2026 21:57:13.264 # Errors trying to shut down the server. Check the logs for more information.
1:C 01 Dec 2026 21:57:14.388 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo
1:C 01 Dec 2026 21:57:14.388 # Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=1, just started
1:C 01 Dec 2026 21:57:14.388 # Configuration loaded
1:M 01 Dec 2026 21:57:14.388 * monotonic clock: POSIX clock_gettime
1:M 01 Dec 2026 21:57:14.389 * Running mode=standalone, port=6379.
1:M 01 Dec 2026 21:57:14.389 # Server initialized
1:M 01 Dec 2026 21:57:14.390 * Ready to accept connections`;

const DENIED = at(
  '15:C',
  'Failed opening the temp RDB file temp-15.rdb (in server root dir /data) for saving: Permission denied',
);

describe('scanLogs: current run and history', () => {
  it('lab, two runs: the old Permission denied before the last banner is history only', () => {
    const scan = scanLogs(LAB_TWO_RUNS);
    expect(scan.sawStart).toBe(true);
    expect(scan.findings).toEqual([]);
    expect(scan.firstMatch.size).toBe(0);
    expect(scan.history).toEqual([
      {
        code: 'log-history',
        severity: 'info',
        statement:
          'Before its last start, older runs of the server logged: Background saves are failing (Background saving error); Redis cannot write its RDB snapshot in /: Permission denied',
        evidence: [
          '1:M 01 Dec 2026 21:57:08.042 # Background saving error',
          '1:M 01 Dec 2026 21:57:13.264 # Failed opening the temp RDB file temp-1.rdb (in server root dir /) for saving: Permission denied',
        ],
      },
    ]);
  });

  it('a Permission denied after the last banner is current, and not also history', () => {
    const scan = scanLogs(`${LAB_TWO_RUNS}\n${DENIED}`);
    expect(scan.findings.map((f) => f.code)).toEqual(['rdb-permission-denied']);
    expect(scan.findings[0]?.evidence).toEqual([DENIED]);
    expect(scan.firstMatch.get('rdb-permission-denied')?.[2]).toBe('/data');
    // Background saving error appeared only in the older run.
    expect(scan.history).toHaveLength(1);
    expect(scan.history[0]?.statement).toBe(
      'Before its last start, older runs of the server logged: Background saves are failing (Background saving error)',
    );
    expect(scan.history[0]?.evidence).toEqual(['1:M 01 Dec 2026 21:57:08.042 # Background saving error']);
  });

  it('no banner in the text: every line is the current run', () => {
    const tail = LAB_TWO_RUNS.split('\n').slice(8, 16).join('\n');
    const scan = scanLogs(tail);
    expect(scan.sawStart).toBe(false);
    expect(scan.findings.map((f) => f.code)).toEqual(['rdb-permission-denied', 'bgsave-error-logged']);
    expect(scan.firstMatch.get('rdb-permission-denied')?.[2]).toBe('/');
    expect(scan.history).toEqual([]);
  });

  it('a banner as the last line: nothing current yet', () => {
    const scan = scanLogs(`${DENIED}\n${BANNER}`);
    expect(scan.sawStart).toBe(true);
    expect(scan.findings).toEqual([]);
    expect(scan.history.map((f) => f.code)).toEqual(['log-history']);
  });

  it('a start that failed on its config file prints no banner: it belongs to the current run', () => {
    // config.c loads the config before server.c prints the banner, in 5.0.14 to 7.4.1.
    const failed =
      "1:C 01 Dec 2026 21:58:00.000 # Fatal error, can't open config file '/etc/redis.conf': Permission denied";
    const scan = scanLogs(`${LAB_TWO_RUNS}\n${failed}`);
    expect(scan.findings.map((f) => f.code)).toEqual(['config-load-failed']);
    expect(scan.findings[0]?.statement).toBe(
      'Redis could not read its config file /etc/redis.conf: Permission denied',
    );
  });

  it('a restart loop on the AOF dir: the latest run shows it as current', () => {
    const run = [
      BANNER,
      "1:M 01 Dec 2026 21:57:06.640 # Can't open or create append-only dir appendonlydir: Permission denied",
    ];
    const scan = scanLogs([...run, ...run, ...run].join('\r\n'));
    expect(scan.findings.map((f) => f.code)).toEqual(['aof-permission-denied']);
    expect(scan.findings[0]?.evidence).toHaveLength(1);
    expect(scan.history).toEqual([]);
  });

  it('splits at the banner of each version (server.c 4.0.14–7.4.1, same text)', () => {
    for (const banner of [
      '1:C 12 Oct 2021 10:00:00.000 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo', // 5.0.14 / 6.2.14 (LL_WARNING: #)
      '1:C 12 Oct 2024 10:00:00.000 * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo', // 7.2.6+ (LL_NOTICE: *)
    ]) {
      const scan = scanLogs(`${DENIED}\n${banner}\n1:M * Ready to accept connections`);
      expect(scan.sawStart).toBe(true);
      expect(scan.findings).toEqual([]);
      expect(scan.history[0]?.code).toBe('log-history');
    }
  });

  it('empty text', () => {
    expect(scanLogs('')).toEqual({ findings: [], history: [], firstMatch: new Map(), sawStart: false });
  });
});
