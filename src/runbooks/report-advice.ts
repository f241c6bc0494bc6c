// What the report advises: recommendations from the runbook's own prevention data for each cause
// found, what a person should look at next when the run did not resolve, and the follow-ups.
import type { Runbook } from './model.js';
import { andList, sentence } from './report-narrative.js';
import { logMessage } from './report-story.js';
import { formatDuration, humanUtc } from './report-time.js';
import type {
  Change,
  Impact,
  Person,
  Proposal,
  RecommendationGroup,
  ReportFinding,
  RootCause,
} from './report-types.js';
import { currentDiagnosis, openedByAlert } from './run-queries.js';
import type { RunState } from './state.js';

const sentences = (s: string) => s.split(/(?<=[.!?])\s+(?=[A-Z])/).filter((x) => x.trim() !== '');

/** Every cause this run found: the root cause, the others its triage found, those its repairs were for. */
function causesFound(s: RunState): string[] {
  const ids = [
    ...(s.cause ? [s.cause] : []),
    ...(s.causesFound ?? []),
    ...Object.values(s.approvals).flatMap((a) => [...(a.cause ? [a.cause] : []), ...(a.alsoFound ?? [])]),
  ];
  return [...new Set(ids)];
}

/** The first problem the run found that is evidence for this cause. */
function leadFor(s: RunState, evidence: readonly string[]): string | undefined {
  // The cause lists its most telling code first.
  const rank = (code: string) => evidence.indexOf(code);
  const found = Object.values(s.steps)
    .filter((r) => r.kind === 'diagnose')
    .sort((a, b) => a.round - b.round || (a.finishedAt ?? 0) - (b.finishedAt ?? 0))
    .flatMap((r) => r.findings)
    .filter((f) => rank(f.code) >= 0 && (f.severity === 'critical' || f.severity === 'warning'))
    .sort((a, b) => rank(a.code) - rank(b.code));
  return found[0]?.statement;
}

export function recommendationsOf(
  s: RunState,
  runbook: Runbook,
  o: { impact: Impact; startedBy: string },
): RecommendationGroup[] {
  const out: RecommendationGroup[] = [];
  for (const id of causesFound(s)) {
    const cause = runbook.causes[id];
    if (!cause || cause.prevention.length === 0) continue;
    const because = leadFor(s, cause.evidence);
    out.push({ about: cause.title, ...(because ? { because } : {}), items: [...cause.prevention] });
  }
  if (openedByAlert(s.startedBy) === undefined && causesFound(s).length > 0) {
    const since = o.impact.since;
    const gap = since && since.ms < s.startedAt ? formatDuration(s.startedAt - since.ms) : undefined;
    out.push({
      about: 'Detection',
      because: gap
        ? `No alert opened this incident: the evidence dates the first failure at ${humanUtc(since?.at ?? '')}, ${gap} before ${o.startedBy} opened it by hand.`
        : `No alert opened this incident: ${o.startedBy} opened it by hand.`,
      items: [
        since?.evidence
          ? `Alert on the first sign seen here, so the next one opens itself: "${logMessage(since.evidence)}" in the Redis log.`
          : 'Alert on the first sign seen here (the evidence under "Root cause"), so the next one opens itself.',
      ],
    });
  }
  // Checks unread because of the root cause itself (refused credentials) need no advice of their own.
  const blind = unreadByReason(s);
  if (blind.length > 0 && (s.status === 'inconclusive' || !s.cause))
    out.push({
      about: 'Checks that could not be read',
      because: 'The bot could not conclude from these checks; a person had to look instead.',
      items: blind.map(([why, names]) => `Make ${andList(names)} readable by the bot: ${sentence(why)}`),
    });
  return out;
}

/** The latest look's unread checks, grouped by why. */
export function unreadByReason(s: RunState): [string, string[]][] {
  const by = new Map<string, string[]>();
  for (const r of currentDiagnosis(s)) {
    if (r.unread === undefined) continue;
    by.set(r.unread, [...(by.get(r.unread) ?? []), `${r.title}${r.item ? ` (${r.item})` : ''}`]);
  }
  return [...by];
}

/** One thing to look at next: a task (it goes on the follow-ups) or something to know. */
export interface NextStep {
  text: string;
  task: boolean;
}

const task = (text: string): NextStep => ({ text, task: true });
const know = (text: string): NextStep => ({ text, task: false });

/** For a run that did not resolve: what a person should look at next, plainly. */
export function nextSteps(
  s: RunState,
  o: { rootCause: RootCause | undefined; proposals: readonly Proposal[]; person: (id: string) => string },
): NextStep[] {
  const cause = o.rootCause?.title;
  const outcome = s.outcome ? sentences(s.outcome.summary) : [];
  const proposed = o.proposals.find((p) => p.status !== 'approved');
  switch (s.status) {
    case 'rejected':
    case 'expired':
      return [
        task(
          `The fault is most likely still there${cause ? `: ${cause.replace(/^The /, 'the ')}` : ''}. Fix it by hand, or start the incident again.`,
        ),
        ...(proposed
          ? [
              know(
                `The repair the runbook proposed ("${proposed.title}") is under "What was changed", with its exact commands.`,
              ),
            ]
          : []),
        ...(s.status === 'rejected'
          ? [task('Write down why the repair was rejected, for the next person.')]
          : []),
      ];
    case 'escalated': {
      const said = outcome.filter((x) => !cause || !x.startsWith(cause.replace(/\.$/, '')));
      return [
        task(
          cause
            ? `Fix by hand: ${sentence(cause)} The evidence is under "Root cause".`
            : 'Read the findings under "Root cause" and in the appendix: the runbook had no repair to offer.',
        ),
        ...(said.length > 0 ? [know(`The runbook says: ${said.map(sentence).join(' ')}`)] : []),
      ];
    }
    case 'inconclusive':
      return [
        ...unreadByReason(s).map(([why, names]) => task(`Check by hand ${andList(names)}: ${sentence(why)}`)),
        task('Then start the incident again: nothing was concluded, not even that the target is healthy.'),
      ];
    case 'interrupted':
      return [
        task(
          'Check the target by hand: the repair may have changed it in part or in full (see "What was changed").',
        ),
      ];
    case 'cancelled': {
      const c = s.timeline.find((e) => e.kind === 'cancelled');
      return [
        know(
          `The run was cancelled${c?.by ? ` by ${o.person(c.by)}` : ''}: whatever was found is below, and nothing further ran.`,
        ),
      ];
    }
    case 'handed-over':
      return [
        task(
          `Follow the incident of the ${s.outcome?.handover ?? 'other'} runbook, which took this fault over.`,
        ),
      ];
    default:
      return [];
  }
}

export function followUpsOf(
  s: RunState,
  o: {
    next: readonly NextStep[];
    changes: readonly Change[];
    otherProblems: readonly ReportFinding[];
    impact: Impact;
    recommendations: readonly RecommendationGroup[];
  },
): string[] {
  const out = o.next.filter((x) => x.task).map((x) => x.text);
  for (const c of o.changes) {
    if (c.uncertain.length > 0)
      out.push(`Check by hand what "${c.repair}" changed on ${c.target}: it has no recorded result.`);
    else if (s.status !== 'resolved' && c.undo)
      out.push(`Decide whether to keep "${c.repair}" or undo it: ${sentence(c.undo)}`);
  }
  const latest = Math.max(1, ...o.otherProblems.map((f) => f.round));
  for (const f of o.otherProblems.filter((x) => x.round === latest))
    out.push(`Look at what was found and not repaired: ${sentence(f.statement)}`);
  if (s.status === 'resolved' && o.impact.effects.length > 0)
    out.push(
      'Check that the clients recovered: the bot verified Redis itself, not the applications that use it.',
    );
  if (o.recommendations.length > 0)
    out.push('Give each recommendation above an owner and a date, or write down why it is not done.');
  return out;
}

/** Everyone of the incident, by name, and what each did. */
export function peopleOf(s: RunState, names: Readonly<Record<string, string>>): Person[] {
  const people = new Map<string, Person>();
  const did = (id: string, what: string) => {
    if (openedByAlert(id) !== undefined) return;
    const name = names[id];
    const p = people.get(id) ?? { name: name ?? id, ...(name && name !== id ? { id } : {}), did: [] };
    if (!p.did.includes(what)) p.did.push(what);
    people.set(id, p);
  };
  did(s.startedBy, 'opened the incident');
  for (const a of Object.values(s.approvals)) {
    for (const g of a.approvedBy ?? []) did(g.by, `approved "${a.title}"`);
    if (a.decidedBy) did(a.decidedBy, `${a.status === 'rejected' ? 'rejected' : 'approved'} "${a.title}"`);
  }
  for (const e of s.timeline) if (e.kind === 'cancelled' && e.by) did(e.by, 'cancelled the run');
  return [...people.values()];
}
