// The incident's impact: what failed for the target's clients and since when, read only from the
// evidence of the first look (what the target was like when the incident opened). Nothing is
// inferred past it: what the evidence does not show is "not known".

import { redisLogTime, utcIso } from './report-time.js';
import type { Impact } from './report-types.js';
import type { RunState, StepRun } from './state.js';

/** What a finding means for clients, in order of how directly they feel it; one group says it once. */
const EFFECTS: Record<string, { group: string; rank: number; short: string; text: string }> = {};
let rank = 0;
const effect = (group: string, short: string, text: string, codes: string[]) => {
  rank += 1;
  for (const c of codes) EFFECTS[c] = { group, rank, short, text };
};
effect('down', 'Redis was not running', 'Redis was not running: its clients could not connect', [
  'container-not-running',
  'container-missing',
]);
effect('restarting', 'Redis kept restarting', 'Redis kept restarting: its clients lost their connections', [
  'container-restarting',
]);
effect('no-answer', 'Redis did not answer', 'Redis did not answer its clients', [
  'redis-unresponsive',
  'redis-not-listening',
  'redis-loading',
  'redis-busy',
  'ping-failed',
]);
effect(
  'misconf',
  'writes were refused with MISCONF',
  'Writes were refused with MISCONF: Redis stops accepting writes while it cannot save to disk',
  ['misconf', 'misconf-logged'],
);
effect(
  'oom',
  'writes were refused with OOM',
  'Writes were refused with OOM: Redis had reached its maxmemory',
  ['maxmemory-reached', 'oom-logged'],
);
effect(
  'clients',
  'new connections were refused',
  'New connections were refused: Redis had reached maxclients',
  ['clients-exhausted', 'max-clients-logged'],
);
effect(
  'stale',
  'the replica served stale data',
  'The replica served stale data: its link to the master was down',
  ['replica-link-down', 'master-down'],
);
effect(
  'not-saved',
  'changes were not saved to disk',
  'Changes were not saved to disk: anything written since the last successful save would be lost if Redis restarted',
  ['bgsave-failing', 'aof-write-failing', 'persistence-error-logged', 'bgsave-error-logged'],
);
// What a check run from a client saw comes after what Redis itself shows.
const CLIENT_RANK = rank + 1;
// Client checks that say where the client is, not what it saw: causes, not impact.
const NOT_SEEN = new Set(['network-mismatch', 'network-mismatch-reachable', 'client-connections']);

const bad = (sev: string) => sev === 'critical' || sev === 'warning';
const firstLine = (xs: readonly string[]) => (xs[0] ?? '').split('\n')[0]?.slice(0, 240) ?? '';

/** A log's clock may disagree with the bot's: a line dated after it was read is not a time to use. */
const SKEW_MS = 60_000;

function firstRound(s: RunState): StepRun[] {
  return Object.values(s.steps).filter((r) => r.kind === 'diagnose' && r.round === 1);
}

/** The earliest dated Redis log line among the first look's problems (older runs' lines excluded). */
function firstLoggedFailure(runs: readonly StepRun[]) {
  let best: { ms: number; line: string } | undefined;
  let late: string | undefined;
  for (const r of runs)
    for (const f of r.findings) {
      if (!bad(f.severity) || f.code === 'log-history') continue;
      for (const line of f.evidence) {
        const ms = redisLogTime(line);
        if (ms === undefined) continue;
        if (r.finishedAt !== undefined && ms > r.finishedAt + SKEW_MS) {
          late = `a log line is dated ${utcIso(ms).slice(11, 19)} UTC, after the bot read it, so the log's clock is not used`;
          continue;
        }
        if (!best || ms < best.ms) best = { ms, line };
      }
    }
  return { best, late };
}

/** rdb_last_save_time from a failing save's evidence: when Redis last saved successfully. */
function lastSaveOf(runs: readonly StepRun[], startedAt: number) {
  for (const r of runs)
    for (const f of r.findings) {
      if (f.code !== 'bgsave-failing') continue;
      for (const line of f.evidence) {
        const m = /^rdb_last_save_time:(\d+)$/.exec(line.trim());
        const sec = m ? Number(m[1]) : 0;
        // 0 or a time after the incident opened is no evidence of when data was last safe.
        if (sec > 0 && sec * 1000 <= startedAt) return { at: utcIso(sec * 1000), evidence: line.trim() };
      }
    }
  return undefined;
}

export function impactOf(s: RunState): Impact {
  const runs = firstRound(s);
  const effects: (Impact['effects'][number] & { rank: number })[] = [];
  const seen = new Set<string>();
  for (const r of runs)
    for (const f of r.findings) {
      if (!bad(f.severity)) continue;
      const known = EFFECTS[f.code];
      // A check run from a client reports what that client saw, whatever its code.
      const onClient = r.item !== undefined && f.severity === 'critical' && !NOT_SEEN.has(f.code);
      if (!known && !onClient) continue;
      const group = known ? known.group : `client:${r.item}:${f.code}`;
      if (seen.has(group)) continue;
      seen.add(group);
      effects.push({
        text: known?.text ?? f.statement,
        short: known?.short ?? f.statement,
        evidence: firstLine(f.evidence),
        rank: known?.rank ?? CLIENT_RANK,
      });
    }
  effects.sort((a, b) => a.rank - b.rank);

  const { best, late } = firstLoggedFailure(runs);
  const alert = Object.values(s.alerts ?? {}).find((a) => a.opened);
  const candidates = [
    ...(best ? [{ ms: best.ms, source: 'the first failure in the Redis log', evidence: best.line }] : []),
    ...(alert?.startsAt === undefined
      ? []
      : [{ ms: alert.startsAt, source: `alert ${alert.name} started firing (startsAt)`, evidence: '' }]),
  ].sort((a, b) => a.ms - b.ms);
  const since = candidates[0];
  const lastSave = lastSaveOf(runs, s.startedAt);
  return {
    effects: effects.map(({ rank: _, ...e }) => e),
    ...(since ? { since: { at: utcIso(since.ms), ...since } } : {}),
    ...(late && !best ? { sinceNote: late } : {}),
    ...(lastSave ? { lastSave } : {}),
  };
}

/** The onset for the clock: the first failure the evidence dates, when it is before the incident opened. */
export function onsetOf(impact: Impact, startedAt: number): number | undefined {
  return impact.since && impact.since.ms <= startedAt ? impact.since.ms : undefined;
}
