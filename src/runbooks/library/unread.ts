import { classifyReply, type Reply } from '../analyzers/redis-reply.js';
import type { ExecResult } from '../result.js';

/** Why a probe got no usable answer, in words a person can act on. */
export function whyUnread(r: ExecResult, reply: Reply = classifyReply(r)): string {
  if (r.unreachable) return `the target could not be reached (${r.error ?? 'no connection'})`;
  switch (reply.kind) {
    case 'noperm':
      return `the bot's Redis user may not run it (${reply.line})`;
    case 'tool-missing':
      return `the command is not installed there (${reply.line})`;
    case 'wrongpass':
    case 'noauth':
      return `Redis refused the bot's credentials (${reply.line})`;
    default:
      break;
  }
  if (r.timedOut) return `no answer within ${Math.round(r.durationMs / 1000)} s`;
  if (r.exitCode === null && r.error) return r.error;
  if (reply.kind !== 'ok' && reply.line) return reply.line;
  // Exit 0 and still unread: say what came back, so a report shows whether anything did.
  if (r.exitCode === 0) {
    const first = r.stdout.trim().split('\n')[0] ?? '';
    return first === ''
      ? 'it succeeded but printed nothing'
      : `its output is not what this check reads (it begins: ${first.slice(0, 80)})`;
  }
  return `exit code ${r.exitCode}`;
}
