import type { ExecResult } from '../result.js';
import { allOutput } from '../result.js';

// What a redis-cli call ran into, told apart by Redis's leading error code words and by the
// connection errors redis-cli prints. Order matters: a refused AUTH also prints NOAUTH afterwards.
export type ReplyKind =
  | 'ok'
  | 'wrongpass'
  | 'noauth'
  | 'misconf'
  | 'oom'
  | 'max-clients'
  | 'loading'
  | 'dns'
  | 'refused'
  | 'timeout'
  | 'unreachable'
  | 'error';

export interface Reply {
  kind: ReplyKind;
  /** The line that shows it, for evidence. */
  line: string;
}

const PATTERNS: [ReplyKind, RegExp][] = [
  ['wrongpass', /WRONGPASS[^\n]*|AUTH failed[^\n]*|ERR invalid password[^\n]*/],
  ['misconf', /MISCONF[^\n]*/],
  ['oom', /OOM command not allowed[^\n]*/],
  ['max-clients', /ERR max number of clients reached[^\n]*/],
  ['noauth', /NOAUTH[^\n]*/],
  ['loading', /LOADING[^\n]*/],
  [
    'dns',
    /Could not connect to Redis at [^\n]*(Name or service not known|Name does not resolve|Temporary failure in name resolution|nodename nor servname)[^\n]*/,
  ],
  ['refused', /Could not connect to Redis at [^\n]*Connection refused[^\n]*/],
  ['timeout', /Could not connect to Redis at [^\n]*(timed out|No route to host)[^\n]*/],
];

export function classifyReply(r: ExecResult): Reply {
  const text = allOutput(r);
  for (const [kind, re] of PATTERNS) {
    const m = re.exec(text);
    if (m) return { kind, line: m[0].trim() };
  }
  if (r.unreachable) return { kind: 'unreachable', line: r.error ?? 'the target could not be reached' };
  if (r.timedOut) return { kind: 'timeout', line: r.error ?? 'timed out' };
  const firstLine =
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '';
  if (/^(ERR|WRONGTYPE|READONLY|NOPERM|BUSY|Could not connect)/.test(firstLine) || r.exitCode !== 0)
    return { kind: 'error', line: firstLine || `exit code ${r.exitCode}` };
  return { kind: 'ok', line: firstLine };
}
