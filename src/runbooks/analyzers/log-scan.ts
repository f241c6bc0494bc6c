import type { Finding } from '../model.js';
import { CODE_SEVERITY, LOG_PATTERNS, type LogCode } from './log-patterns.js';

// Reads a Redis log with the patterns: what the current run of the server logged is evidence, what
// an earlier run logged is history.

/**
 * The start banner, in every version since 4.0 (server.c main):
 * "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo" (LL_WARNING up to 7.0, LL_NOTICE from 7.2).
 */
export const START_BANNER = /oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo/;

export interface LogScan {
  /** Patterns matched in the current run of the server: current evidence. */
  findings: Finding[];
  /**
   * Patterns matched only before the last start: one finding, code 'log-history', severity 'info',
   * saying what older runs logged, with the latest such lines as evidence. Empty when none.
   */
  history: Finding[];
  /** Per code, the regex match of the latest matching line, current run only. */
  firstMatch: Map<string, RegExpExecArray>;
  /** True when a start banner was found in the text. */
  sawStart: boolean;
}

interface Hits {
  lines: string[];
  last: RegExpExecArray;
  statement: string;
  /** Index of the latest line, for ordering. */
  at: number;
}

function collect(lines: readonly string[], from: number, to: number): Map<LogCode, Hits> {
  const byCode = new Map<LogCode, Hits>();
  for (let i = from; i < to; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '') continue;
    for (const p of LOG_PATTERNS) {
      const m = p.re.exec(line);
      if (!m) continue;
      const { code, statement } = p.finding(m);
      const h = byCode.get(code);
      if (h) {
        h.lines.push(line);
        h.last = m;
        h.statement = statement;
        h.at = i;
      } else byCode.set(code, { lines: [line], last: m, statement, at: i });
      break; // one code per line: the first pattern that matches
    }
  }
  return byCode;
}

/**
 * Splits a container's log at the last start banner: lines after it are the current run, lines
 * before it older runs. Without a banner in the text every line counts as the current run (the
 * start is older than the tail). One finding per code, with up to three matching lines (the latest).
 */
export function scanLogs(text: string): LogScan {
  const lines = text.split(/\r?\n/);
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (START_BANNER.test(lines[i] ?? '')) {
      start = i;
      break;
    }
  }
  const current = collect(lines, start + 1, lines.length);
  const older = start > 0 ? collect(lines, 0, start) : new Map<LogCode, Hits>();
  const runLines = lines.length - (start + 1);

  const findings: Finding[] = [];
  const firstMatch = new Map<string, RegExpExecArray>();
  for (const code of Object.keys(CODE_SEVERITY) as LogCode[]) {
    const h = current.get(code);
    if (!h) continue;
    firstMatch.set(code, h.last);
    const more = h.lines.length > 3 ? ` (${h.lines.length} times in the last ${runLines} lines)` : '';
    findings.push({
      code,
      severity: CODE_SEVERITY[code],
      statement: `${h.statement}${more}`,
      evidence: h.lines.slice(-3),
    });
  }

  const past = [...older.entries()].filter(([code]) => !current.has(code)).sort((a, b) => a[1].at - b[1].at);
  const history: Finding[] =
    past.length === 0
      ? []
      : [
          {
            code: 'log-history',
            severity: CODE_SEVERITY['log-history'],
            statement: `Before its last start, older runs of the server logged: ${past.map(([, h]) => h.statement).join('; ')}`,
            evidence: past.map(([, h]) => h.lines[h.lines.length - 1] ?? '').slice(-5),
          },
        ];
  return { findings, history, firstMatch, sawStart: start >= 0 };
}
