// The incident report as data, built from a run's state and its runbook. Pure: every time in it
// comes from the state (no clock), and it holds text exactly as recorded; renderers escape and
// redact it for their format (src/reports/markdown.ts).
import type { Runbook } from './model.js';
import { followUpsOf, nextSteps, peopleOf, recommendationsOf } from './report-advice.js';
import { incidentClock, reportAlerts } from './report-clock.js';
import { impactOf, onsetOf } from './report-impact.js';
import { summarise, whatWasNotDone, whereOf } from './report-narrative.js';
import {
  actionOutcome,
  findingsOf,
  reportFinding,
  stepsOf,
  undoPlace,
  undoWithValues,
} from './report-parts.js';
import { storyOf, withNames } from './report-story.js';
import { formatDuration, utcIso } from './report-time.js';
import type {
  Change,
  CheckedStep,
  Decision,
  Proposal,
  Report,
  ReportFinding,
  ReportHeader,
  ReportMeta,
  ReportTimelineEntry,
  ResolutionStep,
  RootCause,
  VerificationItem,
} from './report-types.js';
import { REPORT_SCHEMA_VERSION } from './report-types.js';
import { causeEvidence, isTerminal, openedByAlert } from './run-queries.js';
import type { ApprovalRun, RunState } from './state.js';

export * from './report-clock.js';
export * from './report-time.js';
export * from './report-types.js';

// --- the report ---

/**
 * Every user id a report of this state names, once each: the starter, whoever a timeline entry is by
 * (deciders, approvers, the canceller), and every approver of a request. A caller resolves these to
 * names before building, since the build itself cannot ask anyone.
 */
export function peopleIn(state: RunState): string[] {
  const ids = [
    state.startedBy,
    ...state.timeline.flatMap((e) => (e.by === undefined ? [] : [e.by])),
    ...Object.values(state.approvals).flatMap((a) => [
      ...(a.decidedBy === undefined ? [] : [a.decidedBy]),
      ...(a.approvedBy ?? []).map((g) => g.by),
    ]),
  ];
  // An alert (the starter of an incident it opened) is nobody to look up.
  return [...new Set(ids)].filter((id) => openedByAlert(id) === undefined);
}

/**
 * Builds the incident report of a run. Works for a finished run and for one still going (it then
 * says so). Text is kept as recorded; a renderer must escape it and redact it again.
 */
export function buildReport(state: RunState, runbook: Runbook, meta: ReportMeta = {}): Report {
  const alert = openedByAlert(state.startedBy);
  const person = (id: string) => {
    if (id === state.startedBy && alert !== undefined) return `alert ${alert}`;
    return meta.people?.[id] || id;
  };
  const finished = isTerminal(state);
  const endAt = state.endedAt ?? state.updatedAt;
  const where = whereOf(state);

  const header: ReportHeader = {
    incidentId: state.runId,
    runbook: { id: runbook.id, title: runbook.title },
    target: { name: state.target.name, kind: state.target.kind, where },
    status: state.status,
    finished,
    startedBy: meta.startedBy ?? person(state.startedBy),
    ...(alert === undefined ? {} : { openedByAlert: alert }),
    startedAt: utcIso(state.startedAt),
    ...(state.endedAt === undefined ? {} : { endedAt: utcIso(state.endedAt) }),
    durationMs: endAt - state.startedAt,
    duration: formatDuration(endAt - state.startedAt),
    ...(meta.generatedAt === undefined ? {} : { generatedAt: utcIso(meta.generatedAt) }),
  };

  const timeline: ReportTimelineEntry[] = state.timeline.map((e) => ({
    at: utcIso(e.at),
    kind: e.kind,
    text: withNames(e.text, e.by, person),
    ...(e.step === undefined ? {} : { step: e.step }),
    ...(e.by === undefined ? {} : { by: person(e.by) }),
  }));

  const diagnosis = stepsOf(state, 'diagnose');
  const checked: CheckedStep[] = diagnosis.map((run) => ({
    key: run.key,
    title: run.title,
    round: run.round,
    ...(run.item === undefined ? {} : { item: run.item }),
    status: run.status,
    commands: [...run.commands],
    findings: findingsOf(run),
    ...(run.skippedBecause === undefined ? {} : { skippedBecause: run.skippedBecause }),
  }));

  const cause = state.cause === undefined ? undefined : runbook.causes[state.cause];
  const shown = causeEvidence(state, runbook, { rounds: 'all' });
  const rootCause: RootCause | undefined =
    state.cause !== undefined && cause
      ? {
          id: state.cause,
          title: cause.title,
          evidence: once(shown.map((e) => reportFinding(e.run, e.finding))),
        }
      : undefined;
  const inCause = new Set(shown.map((e) => e.finding));
  const otherProblems = diagnosis
    .flatMap((run) => run.findings.map((f) => ({ f, r: reportFinding(run, f) })))
    .filter(({ f }) => (f.severity === 'critical' || f.severity === 'warning') && !inCause.has(f))
    .map(({ r }) => r);

  const decision = (by: string | undefined, at: number | undefined): Decision | undefined =>
    by === undefined || at === undefined ? undefined : { by: person(by), at: utcIso(at) };

  // Only a request that needed several approvers lists them: one approver is its decision.
  const approvalsOf = (a: ApprovalRun): Decision[] =>
    (a.approvedBy ?? []).map((g) => ({ by: person(g.by), at: utcIso(g.at) }));

  const approvals = Object.values(state.approvals);
  const proposals: Proposal[] = approvals.map((a) => {
    const d = decision(a.decidedBy, a.decidedAt);
    return {
      approvalId: a.id,
      title: a.title,
      risk: a.risk,
      status: a.status,
      commands: [...a.commands],
      verify: [...a.verify],
      ...(a.undo === undefined ? {} : { undo: a.undo }),
      requestedAt: utcIso(a.requestedAt),
      expiresAt: utcIso(a.expiresAt),
      ...(d && a.status === 'approved' ? { approved: d } : {}),
      ...(d && a.status === 'rejected' ? { rejected: d } : {}),
      ...(a.needed === undefined ? {} : { needed: a.needed, approvals: approvalsOf(a) }),
    };
  });

  const repairs = stepsOf(state, 'repair');
  const lateKeys = new Set(state.timeline.filter((e) => e.kind === 'late-result').map((e) => e.step));
  const resolution: ResolutionStep[] = repairs.map((run) => {
    const a = run.approvalId === undefined ? undefined : state.approvals[run.approvalId];
    const approvedBy = a && decision(a.decidedBy, a.decidedAt);
    // Failed, done or skipped: what has no result did not run. Otherwise nobody knows.
    const unknown = run.status !== 'done' && run.status !== 'failed' && run.status !== 'skipped';
    const note = run.skippedBecause ?? run.interruptedBecause;
    return {
      key: run.key,
      title: run.title,
      round: run.round,
      status: run.status,
      ...(a ? { risk: a.risk } : {}),
      ...(run.approvalId === undefined ? {} : { approvalId: run.approvalId }),
      ...(approvedBy ? { approvedBy } : {}),
      ...(a?.needed === undefined ? {} : { approvers: approvalsOf(a) }),
      ...(run.issuedAt === undefined ? {} : { issuedAt: utcIso(run.issuedAt) }),
      ...(run.finishedAt === undefined ? {} : { finishedAt: utcIso(run.finishedAt) }),
      late: lateKeys.has(run.key),
      ...(note === undefined ? {} : { note }),
      actions: run.commands.map((c, i) => actionOutcome(c, run.results[i], unknown)),
    };
  });

  const verification: VerificationItem[] = stepsOf(state, 'verify').map((run) => ({
    key: run.key,
    title: run.title,
    ...(run.item === undefined ? {} : { item: run.item }),
    round: run.round,
    passed: run.check ? run.check.passed : null,
    statement:
      run.check?.statement ??
      (run.status === 'skipped'
        ? `Skipped: ${run.skippedBecause ?? 'no reason recorded'}`
        : 'Did not complete before the run ended'),
    evidence: run.check ? [...run.check.evidence] : [],
    commands: [...run.commands],
  }));

  const changes: Change[] = [];
  for (const r of resolution) {
    const done = r.actions.filter((x) => x.outcome === 'succeeded').map((x) => x.command);
    const uncertain = r.actions.filter((x) => x.outcome === 'unknown').map((x) => x.command);
    if (done.length === 0 && uncertain.length === 0) continue;
    const a = r.approvalId === undefined ? undefined : state.approvals[r.approvalId];
    const undo = a?.undo === undefined ? undefined : undoWithValues(a.undo, a.actions, state.target);
    const undoWhere = undo === undefined || !a ? undefined : undoPlace(undo, a.actions, state.target);
    changes.push({
      target: state.target.name,
      where,
      repair: r.title,
      commands: done,
      uncertain,
      complete: done.length === r.actions.length,
      ...(undo === undefined ? {} : { undo }),
      ...(undoWhere === undefined ? {} : { undoWhere }),
    });
  }

  const notDone = whatWasNotDone(state, proposals, resolution, verification, person);
  const impact = impactOf(state);
  const summary = summarise(state, {
    checked,
    rootCause,
    otherProblems,
    resolution,
    verification,
    notDone,
    finished,
    impact,
    duration: header.duration,
  });
  const recommendations = recommendationsOf(state, runbook, { impact, startedBy: header.startedBy });
  const next = nextSteps(state, { rootCause, proposals, person });

  return {
    schema: REPORT_SCHEMA_VERSION,
    header,
    title: titleOf(state, rootCause),
    summary,
    impact,
    story: storyOf(state, runbook, { impact, person, startedBy: header.startedBy }),
    people: peopleOf(state, meta.people ?? {}),
    next: next.map((x) => x.text),
    ...(state.outcome ? { outcome: state.outcome.summary } : {}),
    ...(state.outcome?.handover === undefined ? {} : { handover: state.outcome.handover }),
    timeline,
    alerts: reportAlerts(state),
    clock: incidentClock(state, onsetOf(impact, state.startedAt)),
    checked,
    ...(rootCause ? { rootCause } : {}),
    otherProblems,
    proposals,
    resolution,
    verification,
    changes,
    notDone,
    recommendations,
    followUps: followUpsOf(state, { next, changes, otherProblems, impact, recommendations }),
  };
}

/** Findings as evidence, each said once: a later look that read the same lines adds nothing. */
function once(fs: ReportFinding[]): ReportFinding[] {
  const seen = new Set<string>();
  return fs.filter((f) => {
    const key = JSON.stringify([f.code, f.statement, f.evidence]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The report's title from what was found, never the runbook's hypothesis. */
function titleOf(state: RunState, rootCause: RootCause | undefined): string {
  if (rootCause) return rootCause.title;
  switch (state.status) {
    case 'no-fault':
      return `No fault found on ${state.target.name}`;
    case 'inconclusive':
      return `Could not diagnose ${state.target.name}`;
    case 'diagnosing':
      return `Diagnosing ${state.target.name}`;
    case 'handed-over':
      return `Handed over to ${state.outcome?.handover ?? 'another runbook'}`;
    default:
      return `${state.target.name}: no root cause identified`;
  }
}
