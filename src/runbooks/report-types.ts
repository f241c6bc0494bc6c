// The incident report as data: what src/runbooks/report.ts builds and src/reports renders.
import type { Severity } from './model.js';
import type { IncidentClock, ReportAlert } from './report-clock.js';
import type { ApprovalRun, RunStatus, StepRun, TimelineEntry } from './state.js';

export const REPORT_SCHEMA_VERSION = 2;

/** Lines and characters of a command's output kept in the report (the full output stays in the state). */
export const SHORT_OUTPUT = { lines: 20, chars: 2000 } as const;

export interface ReportMeta {
  /** Who started the run, as people know them; defaults to the state's user id. */
  startedBy?: string;
  /**
   * Names of the people in the run by user id (see peopleIn): each is shown by name, and the id only
   * in the report's list of people; an id without a name is shown bare.
   */
  people?: Readonly<Record<string, string>>;
  /** When the report was written (epoch ms, from the caller's clock); omitted from the report if absent. */
  generatedAt?: number;
}

export interface ReportHeader {
  incidentId: string;
  runbook: { id: string; title: string };
  target: { name: string; kind: 'docker' | 'ssh'; where: string };
  status: RunStatus;
  /** False while the run is still going (a report asked for mid-run). */
  finished: boolean;
  startedBy: string;
  /** The alert's name, when an alert opened the incident (then `startedBy` reads "alert <name>"). */
  openedByAlert?: string;
  /** UTC ISO 8601, e.g. 2026-02-12T07:00:00.000Z. */
  startedAt: string;
  endedAt?: string;
  /** From start to end, or to the last update while the run is still going. */
  durationMs: number;
  duration: string;
  generatedAt?: string;
}

export interface ReportFinding {
  stepKey: string;
  stepTitle: string;
  /** The diagnosis round it was found in: 1 is the first look, then one more per look after a repair. */
  round: number;
  code: string;
  severity: Severity;
  statement: string;
  evidence: string[];
}

/** One diagnosis step: what was checked, with which command, and what it found. */
export interface CheckedStep {
  key: string;
  title: string;
  /** The diagnosis round: 1 is the first look, then one more per look after a repair. */
  round: number;
  item?: string;
  status: StepRun['status'];
  commands: string[];
  findings: ReportFinding[];
  skippedBecause?: string;
}

export interface RootCause {
  id: string;
  title: string;
  /** The findings whose codes the cause names as its evidence, in the cause's order. */
  evidence: ReportFinding[];
}

export interface ActionOutcome {
  command: string;
  /**
   * not-run: an earlier action of the same repair failed, or the repair was not started.
   * unknown: no result was recorded and the repair may have acted (interrupted, or still running).
   */
  outcome: 'succeeded' | 'failed' | 'not-run' | 'unknown';
  exitCode: number | null;
  timedOut: boolean;
  unreachable: boolean;
  error?: string;
  /** The first lines of stdout and stderr, as recorded (already redacted by the executor). */
  stdout: string;
  stderr: string;
  /** True when this report or the executor cut the output. */
  outputCut: boolean;
}

export interface Decision {
  by: string;
  at: string;
}

/** A repair that was proposed on an approval card, whatever became of it. */
export interface Proposal {
  approvalId: string;
  title: string;
  risk: ApprovalRun['risk'];
  status: ApprovalRun['status'];
  commands: string[];
  verify: string[];
  undo?: string;
  requestedAt: string;
  expiresAt: string;
  approved?: Decision;
  rejected?: Decision;
  /** Present when more than one approver was needed: how many, and every approval given, in order. */
  needed?: number;
  approvals?: Decision[];
}

export interface ResolutionStep {
  key: string;
  title: string;
  round: number;
  status: StepRun['status'];
  risk?: ApprovalRun['risk'];
  approvalId?: string;
  approvedBy?: Decision;
  /** Every approver, in order, when the repair needed more than one (`approvedBy` is the last). */
  approvers?: Decision[];
  issuedAt?: string;
  finishedAt?: string;
  /** The repair's result arrived after the run had ended (it was cancelled while the repair ran). */
  late: boolean;
  /** Why the repair was not run, or was interrupted, as recorded. */
  note?: string;
  actions: ActionOutcome[];
}

export interface VerificationItem {
  key: string;
  title: string;
  item?: string;
  round: number;
  /** null: the check never completed (the run ended first) or was skipped. */
  passed: boolean | null;
  statement: string;
  evidence: string[];
  commands: string[];
}

export interface Change {
  target: string;
  where: string;
  repair: string;
  /** Only the commands that ran and succeeded. */
  commands: string[];
  /** Commands with no recorded result that may have run (the repair was interrupted): check them by hand. */
  uncertain: string[];
  /** False when the repair did not finish all its commands: some changed the target, others did not. */
  complete: boolean;
  undo?: string;
  /** Where the undo runs: "in container x, as root", "on the Docker host". */
  undoWhere?: string;
}

/** What failed for the target's clients, and since when, as far as the evidence shows. */
export interface Impact {
  /** What clients saw, each from a finding of the first look; empty: not known from the evidence. */
  effects: { text: string; short: string; evidence: string }[];
  /** The earliest failure the evidence dates (a Redis log line, the alert's startsAt); absent: not known. */
  since?: { at: string; ms: number; source: string; evidence: string };
  /** Why the log's time was not used, when it was found but could not be trusted. */
  sinceNote?: string;
  /** The last successful save Redis reported while saves were failing (rdb_last_save_time). */
  lastSave?: { at: string; evidence: string };
}

/** One line of the timeline people read: a milestone, not an event of the log. */
export interface StoryLine {
  at: string;
  ms: number;
  text: string;
}

/** A person of the incident, by name, with what they did. */
export interface Person {
  name: string;
  /** The user id, when the name is not it. */
  id?: string;
  did: string[];
}

/** What to do so it does not happen again, for one cause found (from the runbook's prevention). */
export interface RecommendationGroup {
  /** The cause, or "Detection" / "Checks that could not be read". */
  about: string;
  /** What was found that makes it apply. */
  because?: string;
  items: string[];
}

export interface ReportTimelineEntry {
  at: string;
  kind: TimelineEntry['kind'];
  text: string;
  step?: string;
  by?: string;
}

export interface Report {
  schema: typeof REPORT_SCHEMA_VERSION;
  header: ReportHeader;
  summary: string;
  /** Short title from what was found: the root cause, "no fault found", "could not diagnose". */
  title: string;
  impact: Impact;
  /** The milestones of the incident, six to a dozen lines; `timeline` is the full event log. */
  story: StoryLine[];
  people: Person[];
  /** For a run that did not resolve: what a person should look at next. */
  next: string[];
  /** The run's outcome as the runbook states it. */
  outcome?: string;
  handover?: string;
  timeline: ReportTimelineEntry[];
  /** The alerts of the incident: the one that opened it, and any noted in it. */
  alerts: ReportAlert[];
  /** Milestones from the alert starting to it resolving, and the durations between them. */
  clock: IncidentClock;
  checked: CheckedStep[];
  rootCause?: RootCause;
  /** Problems found that are not part of the root cause's evidence (or all of them, with no cause). */
  otherProblems: ReportFinding[];
  proposals: Proposal[];
  resolution: ResolutionStep[];
  verification: VerificationItem[];
  changes: Change[];
  /** Explicit statements of what was not done, and why. */
  notDone: string[];
  recommendations: RecommendationGroup[];
  /** Open tasks, for the postmortem's checklist. */
  followUps: string[];
}
