import { describe, expect, it } from 'vitest';
import { scanLogs } from '../../src/runbooks/analyzers/log-scan.js';

// The AOF runbook comes from a self-healing design whose error monitor watched for four patterns.
// Every line one of them matches is recognised here too, whatever its case and whoever wrote it.
const SEED_PATTERNS = [
  /can't open or create append-only dir/i,
  /appendonlydir.*permission denied/i,
  /redis.*permission denied/i,
  /can't create\/write to append only file/i,
];

const at = (msg: string) => `1:M 02 Dec 2026 20:50:01.000 # ${msg}`;

// A line, the seed pattern it stands for, and the code the bot gives it.
const rows: [line: string, pattern: number, code: string][] = [
  [at("Can't open or create append-only dir appendonlydir: Permission denied"), 0, 'aof-permission-denied'],
  [at("CAN'T OPEN OR CREATE APPEND-ONLY DIR appendonlydir: PERMISSION DENIED"), 0, 'aof-permission-denied'],
  [at("can't open or create append-only dir appendonlydir: no space left on device"), 0, 'disk-full'],
  ["redis-entrypoint: can't open or create append-only dir", 0, 'persistence-error-logged'],
  ['mkdir: cannot create directory /data/appendonlydir: Permission denied', 1, 'aof-permission-denied'],
  ['APPENDONLYDIR/appendonly.aof.1.incr.aof: PERMISSION DENIED', 1, 'aof-permission-denied'],
  [
    'Error response from daemon: redis: open /data/dump.rdb: permission denied',
    2,
    'persistence-error-logged',
  ],
  ["Can't create/write to append only file appendonly.aof: Permission denied", 3, 'aof-permission-denied'],
  ["can't create/write to append only file appendonly.aof: read-only file system", 3, 'read-only-fs'],
  ["can't create/write to append only file", 3, 'persistence-error-logged'],
];

describe("the error monitor's four patterns", () => {
  it.each(rows)('%s', (line, pattern, code) => {
    expect(SEED_PATTERNS[pattern]?.test(line)).toBe(true);
    const scan = scanLogs(line);
    expect(scan.findings.map((f) => f.code)).toEqual([code]);
    expect(scan.findings[0]?.severity).toBe('critical');
  });

  it('leaves lines none of them matches alone', () => {
    expect(scanLogs(at('Background saving started by pid 42')).findings).toEqual([]);
    expect(scanLogs('permission granted to redis').findings).toEqual([]);
  });

  it("Redis's own wordings still give their precise finding, not the catch-all", () => {
    const scan = scanLogs(
      at(
        'Failed opening the temp RDB file temp-42.rdb (in server root dir /data) for saving: Permission denied',
      ),
    );
    expect(scan.findings.map((f) => f.code)).toEqual(['rdb-permission-denied']);
    expect(scan.findings[0]?.statement).toBe(
      'Redis cannot write its RDB snapshot in /data: Permission denied',
    );
  });
});
