// The incident's clock: when each milestone happened, from the alert starting to it resolving, and
// the durations between them. Pure: every time comes from the state. A milestone the run did not
// reach is absent, and so is every duration that needs it.
import { formatDuration, utcIso } from './report-time.js';
import type { RunState } from './state.js';

export type Milestone =
  | 'onset'
  | 'alert-started'
  | 'detected'
  | 'opened'
  | 'first-finding'
  | 'root-cause'
  | 'approval-asked'
  | 'approved'
  | 'repaired'
  | 'verified'
  | 'alert-resolved'
  | 'ended';

export const MILESTONE_LABEL: Record<Milestone, string> = {
  onset: 'Onset (first failure in the evidence)',
  'alert-started': 'Alert started (startsAt)',
  detected: 'Detected (alert received)',
  opened: 'Incident opened',
  'first-finding': 'First problem found',
  'root-cause': 'Root cause established',
  'approval-asked': 'Approval asked',
  approved: 'Approved',
  repaired: 'Repaired',
  verified: 'Verified',
  'alert-resolved': 'Alert resolved',
  ended: 'Incident ended',
};

export interface ClockDuration {
  name: string;
  from: Milestone;
  to: Milestone;
  ms: number;
  text: string;
}

export interface IncidentClock {
  /** In time order; `elapsed`: since the first of them. */
  milestones: { milestone: Milestone; label: string; at: string; ms: number; elapsed: string }[];
  durations: ClockDuration[];
}

// `resolved` is the end of a run that resolved (no milestone of its own: "ended" says it).
type End = Milestone | 'resolved';
const DURATIONS: { name: string; from: Milestone[]; to: End[] }[] = [
  { name: 'Time to detect', from: ['onset', 'alert-started'], to: ['detected', 'opened'] },
  { name: 'Time to root cause', from: ['alert-started', 'detected', 'opened'], to: ['root-cause'] },
  { name: 'Time to approve', from: ['approval-asked'], to: ['approved'] },
  { name: 'Time to repair', from: ['approved'], to: ['repaired'] },
  { name: 'Time to verify', from: ['repaired'], to: ['verified'] },
  {
    name: 'Time to resolve',
    from: ['onset', 'alert-started', 'detected', 'opened'],
    to: ['alert-resolved', 'resolved'],
  },
];

const min = (xs: (number | undefined)[]) => {
  const got = xs.filter((x): x is number => x !== undefined);
  return got.length > 0 ? Math.min(...got) : undefined;
};

/**
 * The milestones of a run, each the first time it happened. `onset`: the first failure the evidence
 * dates (src/runbooks/report-impact.ts), kept only when it is before every other milestone.
 */
export function milestonesOf(s: RunState, onset?: number): Partial<Record<Milestone, number>> {
  const opening = Object.values(s.alerts ?? {}).find((a) => a.opened);
  const steps = Object.values(s.steps);
  const approvals = Object.values(s.approvals);
  const first = (kind: RunState['timeline'][number]['kind'], test: (text: string) => boolean = () => true) =>
    s.timeline.find((e) => e.kind === kind && test(e.text))?.at;
  // Runs recorded before repairs carried `verified` say so only on their timeline.
  const passed = (e: RunState['timeline'][number]) =>
    e.kind === 'verified' &&
    (e.text.startsWith('Verification passed') ||
      (e.step !== undefined && s.steps[e.step]?.verified === true));
  const out: Partial<Record<Milestone, number>> = {
    ...(opening?.startsAt === undefined ? {} : { 'alert-started': opening.startsAt }),
    ...(opening ? { detected: opening.detectedAt } : {}),
    opened: s.startedAt,
  };
  const at: Partial<Record<Milestone, number | undefined>> = {
    'first-finding': min(
      steps
        .filter(
          (r) =>
            r.kind === 'diagnose' &&
            r.findings.some((f) => f.severity === 'critical' || f.severity === 'warning'),
        )
        .map((r) => r.finishedAt),
    ),
    'root-cause': s.cause === undefined ? undefined : first('decision'),
    'approval-asked': min(approvals.map((a) => a.requestedAt)),
    approved: min(approvals.filter((a) => a.status === 'approved').map((a) => a.decidedAt)),
    repaired: min(steps.filter((r) => r.kind === 'repair' && r.status === 'done').map((r) => r.finishedAt)),
    verified: s.timeline.find(passed)?.at,
    'alert-resolved': opening?.resolvedAt,
    ended: s.endedAt,
  };
  for (const [k, v] of Object.entries(at)) if (v !== undefined) out[k as Milestone] = v;
  const earliest = min([out['alert-started'], out.detected, out.opened]);
  if (onset !== undefined && earliest !== undefined && onset < earliest) out.onset = onset;
  return out;
}

/** The clock as the report shows it: milestones in time order, and the durations that can be told. */
export function incidentClock(s: RunState, onset?: number): IncidentClock {
  const m: Partial<Record<End, number>> = milestonesOf(s, onset);
  if (s.status === 'resolved' && s.endedAt !== undefined) m.resolved = s.endedAt;
  const milestones = (Object.keys(MILESTONE_LABEL) as Milestone[])
    .flatMap((milestone) => {
      const ms = m[milestone];
      return ms === undefined ? [] : [{ milestone, label: MILESTONE_LABEL[milestone], at: utcIso(ms), ms }];
    })
    .sort((a, b) => a.ms - b.ms)
    .map((x, _i, all) => ({ ...x, elapsed: formatDuration(x.ms - (all[0]?.ms ?? x.ms)) }));
  const durations: ClockDuration[] = [];
  for (const d of DURATIONS) {
    const end = d.to.find((t) => m[t] !== undefined);
    const to = end === undefined ? undefined : m[end];
    const from = d.from.find((f) => m[f] !== undefined);
    const start = from === undefined ? undefined : m[from];
    if (end === undefined || to === undefined || from === undefined || start === undefined) continue;
    const ms = Math.max(0, to - start);
    durations.push({
      name: d.name,
      from,
      to: end === 'resolved' ? 'ended' : end,
      ms,
      text: formatDuration(ms),
    });
  }
  return { milestones, durations };
}

/** One alert of the incident as the report lists it. */
export interface ReportAlert {
  name: string;
  fingerprint: string;
  status: 'firing' | 'resolved';
  opened: boolean;
  startsAt?: string;
  detectedAt: string;
  resolvedAt?: string;
}

export function reportAlerts(s: RunState): ReportAlert[] {
  return Object.entries(s.alerts ?? {}).map(([fingerprint, a]) => ({
    name: a.name,
    fingerprint,
    status: a.status,
    opened: a.opened === true,
    ...(a.startsAt === undefined ? {} : { startsAt: utcIso(a.startsAt) }),
    detectedAt: utcIso(a.detectedAt),
    ...(a.resolvedAt === undefined ? {} : { resolvedAt: utcIso(a.resolvedAt) }),
  }));
}
