// The timeline people read: the incident's milestones in a dozen lines at most, the way a person
// writes a postmortem, from the event log (which the report keeps whole in an appendix).
import type { Runbook } from './model.js';
import { andList, STATUS_WORD } from './report-narrative.js';
import { utcIso } from './report-time.js';
import type { Impact, StoryLine } from './report-types.js';
import type { RunState, TimelineEntry } from './state.js';

const LOG_PREFIX = /^\s*\d+:[XCSM] \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} [.\-*#] /;

/** The text of a Redis log line without its pid, role and time. */
export const logMessage = (line: string) => line.replace(LOG_PREFIX, '').trim();

/** `text` with each user id replaced by the person's name, for an entry made by `by`. */
export function withNames(text: string, by: string | undefined, person: (id: string) => string): string {
  if (by === undefined) return text;
  const name = person(by);
  return name === by ? text : text.split(by).join(name);
}

const firstSentence = (s: string) => s.split(/(?<=[.!?])\s+(?=[A-Z])/)[0] ?? s;

export function storyOf(
  s: RunState,
  runbook: Runbook,
  o: { impact: Impact; person: (id: string) => string; startedBy: string },
): StoryLine[] {
  const out: StoryLine[] = [];
  const add = (ms: number, text: string) => out.push({ at: utcIso(ms), ms, text });
  const since = o.impact.since;
  if (since?.evidence && since.ms < s.startedAt)
    add(since.ms, `First failure in the Redis log: "${logMessage(since.evidence)}"`);

  const causeTitles = new Set(Object.values(runbook.causes).map((c) => c.title));
  const opening = Object.values(s.alerts ?? {}).some((a) => a.opened);
  const firstProblem = Object.values(s.steps)
    .filter((r) => r.kind === 'diagnose' && r.round === 1 && r.finishedAt !== undefined)
    .flatMap((r) => r.findings.filter((f) => f.severity === 'critical').map((f) => ({ r, f })))
    .sort((a, b) => (a.r.finishedAt ?? 0) - (b.r.finishedAt ?? 0))[0];
  let problemSaid = false;

  const line = (e: TimelineEntry): string | undefined => {
    const text = withNames(e.text, e.by, o.person);
    switch (e.kind) {
      case 'alert-firing':
      case 'alert-resolved':
      case 'approval-requested':
      case 'approval-recorded':
      case 'approval-expired':
      case 'repair-interrupted':
      case 'late-result':
      case 'verified':
      case 'cancelled':
        return text;
      case 'alert-received':
        return opening && e.at === s.startedAt ? undefined : text;
      case 'started':
        return `${o.startedBy} opened the incident: runbook ${runbook.id} on ${s.target.name}`;
      case 'decision': {
        const cause = text.slice(text.indexOf(': ') + 2);
        return causeTitles.has(cause) ? `Root cause found: ${cause}` : undefined;
      }
      case 'approval-decided':
        return text.replace(/^"(.*)" (approved|rejected) by (.*)$/, '$3 $2 "$1"');
      case 'repair-finished':
        return `Repair ${text.replace(/^(.*): (succeeded|failed)$/, '"$1" $2')}`;
      case 'recheck':
        return 'The whole diagnosis ran again on the target as it is after the repair';
      case 'finished':
        return `Incident ended, ${STATUS_WORD[s.status]}: ${firstSentence(s.outcome?.summary ?? text)}`;
      default:
        return undefined;
    }
  };

  // What could not be read, once per reason, when the first look finished reading it.
  const unread = new Map<string, { at: number; names: string[] }>();
  for (const r of Object.values(s.steps)) {
    if (r.kind !== 'diagnose' || r.round !== 1 || r.unread === undefined) continue;
    const u = unread.get(r.unread) ?? { at: r.finishedAt ?? s.updatedAt, names: [] };
    u.names.push(`${r.title}${r.item ? ` (${r.item})` : ''}`);
    u.at = Math.min(u.at, r.finishedAt ?? u.at);
    unread.set(r.unread, u);
  }
  for (const [why, u] of unread) add(u.at, `Could not read ${andList(u.names)}: ${why}`);

  for (const e of s.timeline) {
    if (!problemSaid && firstProblem && e.at >= (firstProblem.r.finishedAt ?? 0) && e.kind !== 'started') {
      add(firstProblem.r.finishedAt ?? e.at, `First problem found: ${firstProblem.f.statement}`);
      problemSaid = true;
    }
    const text = line(e);
    if (text !== undefined) add(e.at, text);
  }
  if (!problemSaid && firstProblem)
    add(firstProblem.r.finishedAt ?? s.updatedAt, `First problem found: ${firstProblem.f.statement}`);
  return out.sort((a, b) => a.ms - b.ms);
}
