import type { Finding, Severity } from '../model.js';

// Log lines the seed incidents were diagnosed from, each mapped to a finding code.
interface LogPattern {
  code: string;
  severity: Severity;
  re: RegExp;
  statement: (m: RegExpExecArray) => string;
}

export const LOG_PATTERNS: readonly LogPattern[] = [
  {
    code: 'rdb-permission-denied',
    severity: 'critical',
    re: /Failed opening the temp RDB file (\S+) \(in server root dir (\S+)\) for saving: Permission denied/,
    statement: (m) => `Redis cannot write its RDB snapshot in ${m[2]}: Permission denied`,
  },
  {
    code: 'aof-permission-denied',
    severity: 'critical',
    re: /Can't open or create append-only dir (\S+): Permission denied|Can't open the append-only file[^\n]*Permission denied|Can't create\/write to append only file[^\n]*Permission denied/,
    statement: () => 'Redis cannot create or write its append-only file: Permission denied',
  },
  {
    code: 'disk-full',
    severity: 'critical',
    re: /No space left on device/,
    statement: () => 'Redis reports the disk is full (No space left on device)',
  },
  {
    code: 'read-only-fs',
    severity: 'critical',
    re: /Read-only file system/,
    statement: () => 'Redis reports its filesystem is mounted read-only',
  },
  {
    code: 'bgsave-error-logged',
    severity: 'critical',
    re: /Background saving error/,
    statement: () => 'Background saves are failing (Background saving error)',
  },
  {
    code: 'misconf-logged',
    severity: 'critical',
    re: /MISCONF[^\n]*/,
    statement: () => 'Writes were refused with MISCONF (persistence failing)',
  },
  {
    code: 'oom-logged',
    severity: 'warning',
    re: /OOM command not allowed[^\n]*|Out Of Memory allocating/,
    statement: () => 'Redis refused commands for lack of memory',
  },
  {
    code: 'max-clients-logged',
    severity: 'warning',
    re: /max number of clients reached/,
    statement: () => 'Redis refused connections: max number of clients reached',
  },
  {
    code: 'acl-load-failed',
    severity: 'critical',
    re: /Error in user declaration[^\n]*|Aborting Redis startup because of ACL errors|ACL file[^\n]*(not found|error)[^\n]*/i,
    statement: () => 'Redis failed to load its ACL users',
  },
];

/** One finding per pattern that matches, with up to three matching lines (the latest) as evidence. */
export function scanLogs(text: string): { findings: Finding[]; firstMatch: Map<string, RegExpExecArray> } {
  const lines = text.split(/\r?\n/);
  const findings: Finding[] = [];
  const firstMatch = new Map<string, RegExpExecArray>();
  for (const p of LOG_PATTERNS) {
    const hits = lines.filter((l) => p.re.test(l));
    if (hits.length === 0) continue;
    const m = p.re.exec(hits[hits.length - 1] ?? '');
    if (!m) continue;
    firstMatch.set(p.code, m);
    const more = hits.length > 3 ? ` (${hits.length} times in the last ${lines.length} lines)` : '';
    findings.push({
      code: p.code,
      severity: p.severity,
      statement: `${p.statement(m)}${more}`,
      evidence: hits.slice(-3).map((l) => l.trim()),
    });
  }
  return { findings, firstMatch };
}
