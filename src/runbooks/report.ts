// The incident report as data, built from a run's state and its runbook. Pure: every time in it
// comes from the state (no clock), and it holds text exactly as recorded; renderers escape and
// redact it for their format (src/reports/markdown.ts).
import type { Finding, Runbook, Severity } from './model.js';
import type { ExecResult } from './result.js';
import { succeeded } from './result.js';
import type { ApprovalRun, RunState, RunStatus, StepRun, TimelineEntry } from './state.js';
import { TERMINAL } from './state.js';

export const REPORT_SCHEMA_VERSION = 1;

/** Lines and characters of a command's output kept in the report (the full output stays in the state). */
export const SHORT_OUTPUT = { lines: 20, chars: 2000 } as const;

export interface ReportMeta {
  /** Who started the run, as people know them; defaults to the state's user id. */
  startedBy?: string;
  /** Display names of the people in the run (approvers, whoever cancelled), by user id. */
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
  code: string;
  severity: Severity;
  statement: string;
  evidence: string[];
}

/** One diagnosis step: what was checked, with which command, and what it found. */
export interface CheckedStep {
  key: string;
  title: string;
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
}

export interface ResolutionStep {
  key: string;
  title: string;
  round: number;
  status: StepRun['status'];
  risk?: ApprovalRun['risk'];
  approvalId?: string;
  approvedBy?: Decision;
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
  /** The run's outcome as the runbook states it. */
  outcome?: string;
  handover?: string;
  timeline: ReportTimelineEntry[];
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
  recommendations: string[];
}

// --- time, without a clock: epoch ms to UTC calendar fields ---

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days). */
function civil(days: number): { y: number; m: number; d: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** Epoch milliseconds as UTC ISO 8601 (what Date#toISOString gives for years 0–9999). */
export function utcIso(ms: number): string {
  const t = Math.floor(ms);
  const days = Math.floor(t / 86_400_000);
  const rest = t - days * 86_400_000;
  const { y, m, d } = civil(days);
  const hh = Math.floor(rest / 3_600_000);
  const mm = Math.floor((rest % 3_600_000) / 60_000);
  const ss = Math.floor((rest % 60_000) / 1000);
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}T${pad(hh)}:${pad(mm)}:${pad(ss)}.${pad(rest % 1000, 3)}Z`;
}

/** A UTC ISO 8601 time as people read it in a report: "2026-02-12 07:00:00 UTC". */
export function humanUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** A duration for people: "45 s", "3 min 5 s", "2 h 0 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${s % 60} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

// --- helpers ---

const sentence = (s: string) => {
  const t = s.trim();
  return t === '' || /[.!?]$/.test(t) ? t : `${t}.`;
};

function shorten(text: string): { text: string; cut: boolean } {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  let out = lines.slice(0, SHORT_OUTPUT.lines).join('\n');
  let cut = lines.length > SHORT_OUTPUT.lines;
  if (out.length > SHORT_OUTPUT.chars) {
    out = out.slice(0, SHORT_OUTPUT.chars);
    cut = true;
  }
  return { text: out, cut };
}

function whereOf(state: RunState): string {
  const r = state.target.redis;
  return state.target.kind === 'docker'
    ? `container ${r.container ?? '?'}`
    : `host ${r.sshHost ?? r.host} (over SSH)`;
}

const stepsOf = (state: RunState, kind: StepRun['kind']) =>
  Object.values(state.steps).filter((s) => s.kind === kind);

function findingsOf(run: StepRun): ReportFinding[] {
  const title = run.item === undefined ? run.title : `${run.title} (${run.item})`;
  return run.findings.map((f: Finding) => ({
    stepKey: run.key,
    stepTitle: title,
    code: f.code,
    severity: f.severity,
    statement: f.statement,
    evidence: [...f.evidence],
  }));
}

function actionOutcome(command: string, r: ExecResult | undefined, unknown: boolean): ActionOutcome {
  if (!r)
    return {
      command,
      outcome: unknown ? 'unknown' : 'not-run',
      exitCode: null,
      timedOut: false,
      unreachable: false,
      stdout: '',
      stderr: '',
      outputCut: false,
    };
  const out = shorten(r.stdout);
  const err = shorten(r.stderr);
  return {
    command,
    outcome: succeeded(r) ? 'succeeded' : 'failed',
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    unreachable: r.unreachable,
    ...(r.error === undefined ? {} : { error: r.error }),
    stdout: out.text,
    stderr: err.text,
    outputCut: out.cut || err.cut || r.truncated,
  };
}

// --- the report ---

/**
 * Builds the incident report of a run. Works for a finished run and for one still going (it then
 * says so). Text is kept as recorded; a renderer must escape it and redact it again.
 */
export function buildReport(state: RunState, runbook: Runbook, meta: ReportMeta = {}): Report {
  const person = (id: string) => {
    const name = meta.people?.[id];
    return name && name !== id ? `${name} (${id})` : id;
  };
  const finished = TERMINAL.has(state.status);
  const endAt = state.endedAt ?? state.updatedAt;
  const where = whereOf(state);

  const header: ReportHeader = {
    incidentId: state.runId,
    runbook: { id: runbook.id, title: runbook.title },
    target: { name: state.target.name, kind: state.target.kind, where },
    status: state.status,
    finished,
    startedBy: meta.startedBy ?? person(state.startedBy),
    startedAt: utcIso(state.startedAt),
    ...(state.endedAt === undefined ? {} : { endedAt: utcIso(state.endedAt) }),
    durationMs: endAt - state.startedAt,
    duration: formatDuration(endAt - state.startedAt),
    ...(meta.generatedAt === undefined ? {} : { generatedAt: utcIso(meta.generatedAt) }),
  };

  const timeline: ReportTimelineEntry[] = state.timeline.map((e) => ({
    at: utcIso(e.at),
    kind: e.kind,
    text: e.text,
    ...(e.step === undefined ? {} : { step: e.step }),
    ...(e.by === undefined ? {} : { by: person(e.by) }),
  }));

  const diagnosis = stepsOf(state, 'diagnose');
  const checked: CheckedStep[] = diagnosis.map((run) => ({
    key: run.key,
    title: run.title,
    ...(run.item === undefined ? {} : { item: run.item }),
    status: run.status,
    commands: [...run.commands],
    findings: findingsOf(run),
    ...(run.skippedBecause === undefined ? {} : { skippedBecause: run.skippedBecause }),
  }));

  const allFindings = diagnosis.flatMap(findingsOf);
  const cause = state.cause === undefined ? undefined : runbook.causes[state.cause];
  let rootCause: RootCause | undefined;
  if (state.cause !== undefined && cause) {
    const rank = (f: ReportFinding) => cause.evidence.indexOf(f.code);
    const evidence = allFindings
      .filter((f) => rank(f) >= 0)
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
    rootCause = { id: state.cause, title: cause.title, evidence };
  }
  const inCause = new Set(rootCause?.evidence ?? []);
  const otherProblems = allFindings.filter(
    (f) => (f.severity === 'critical' || f.severity === 'warning') && !inCause.has(f),
  );

  const decision = (by: string | undefined, at: number | undefined): Decision | undefined =>
    by === undefined || at === undefined ? undefined : { by: person(by), at: utcIso(at) };

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
    };
  });

  const repairs = stepsOf(state, 'repair');
  const lateKeys = new Set(state.timeline.filter((e) => e.kind === 'late-result').map((e) => e.step));
  const resolution: ResolutionStep[] = repairs.map((run) => {
    const a = run.approvalId === undefined ? undefined : state.approvals[run.approvalId];
    const approvedBy = a && decision(a.decidedBy, a.decidedAt);
    // Failed, done or skipped: what has no result did not run. Otherwise nobody knows.
    const unknown = run.status !== 'done' && run.status !== 'failed' && run.status !== 'skipped';
    const interrupted = state.timeline.findLast((e) => e.step === run.key && e.kind === 'repair-interrupted');
    const reason = interrupted && /interrupted \((.*)\)$/.exec(interrupted.text)?.[1];
    const note = run.skippedBecause ?? (interrupted ? reason || interrupted.text : undefined);
    return {
      key: run.key,
      title: run.title,
      round: run.round,
      status: run.status,
      ...(a ? { risk: a.risk } : {}),
      ...(run.approvalId === undefined ? {} : { approvalId: run.approvalId }),
      ...(approvedBy ? { approvedBy } : {}),
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
    changes.push({
      target: state.target.name,
      where,
      repair: r.title,
      commands: done,
      uncertain,
      complete: done.length === r.actions.length,
      ...(a?.undo === undefined ? {} : { undo: a.undo }),
    });
  }

  const notDone = whatWasNotDone(state, proposals, resolution, verification, person);
  const summary = summarise(state, runbook, {
    checked,
    rootCause,
    otherProblems,
    resolution,
    verification,
    notDone,
    finished,
  });

  return {
    schema: REPORT_SCHEMA_VERSION,
    header,
    summary,
    ...(state.outcome ? { outcome: state.outcome.summary } : {}),
    ...(state.outcome?.handover === undefined ? {} : { handover: state.outcome.handover }),
    timeline,
    checked,
    ...(rootCause ? { rootCause } : {}),
    otherProblems,
    proposals,
    resolution,
    verification,
    changes,
    notDone,
    recommendations: cause ? [...cause.prevention] : [],
  };
}

function whatWasNotDone(
  state: RunState,
  proposals: readonly Proposal[],
  resolution: readonly ResolutionStep[],
  verification: readonly VerificationItem[],
  person: (id: string) => string,
): string[] {
  const out: string[] = [];
  const cancel = state.timeline.find((e) => e.kind === 'cancelled');
  for (const p of proposals) {
    const name = `The repair "${p.title}"`;
    if (p.status === 'rejected')
      out.push(
        `${name} was not run: the approval was rejected by ${p.rejected?.by ?? 'someone'}${p.rejected ? ` at ${humanUtc(p.rejected.at)}` : ''}.`,
      );
    else if (p.status === 'expired')
      out.push(
        `${name} was not run: nobody decided before the approval expired at ${humanUtc(p.expiresAt)}.`,
      );
    else if (p.status === 'withdrawn')
      out.push(
        `${name} was not run: its approval was withdrawn when the run was cancelled${cancel?.by ? ` by ${person(cancel.by)}` : ''}.`,
      );
    else if (p.status === 'pending')
      out.push(`${name} has not run: its approval is still waiting for a decision.`);
  }
  for (const r of resolution) {
    const why = r.note === undefined ? '' : ` (${r.note.replace(/\.$/, '')})`;
    if (r.status === 'failed') {
      const failed = r.actions.find((a) => a.outcome === 'failed');
      const skipped = r.actions.filter((a) => a.outcome === 'not-run').length;
      out.push(
        `The repair "${r.title}" failed${failed ? ` (at: ${failed.command})` : ''}${skipped ? `; ${skipped} later command(s) were not run` : ''}.`,
      );
    } else if (r.status === 'skipped') {
      out.push(`The repair "${r.title}" was approved but not run${why}.`);
    } else if (r.actions.some((a) => a.outcome === 'unknown')) {
      out.push(
        `The repair "${r.title}" ${r.status === 'interrupted' ? 'was interrupted' : 'has no recorded result'}${why}: it may have changed ${state.target.name} in part or in full. Check the target by hand before running it again.`,
      );
    }
  }
  const ran = resolution.some((r) => r.actions.some((a) => a.outcome !== 'not-run'));
  if (!ran) {
    if (proposals.length === 0) {
      const why =
        state.status === 'no-fault'
          ? 'nothing was found wrong'
          : state.status === 'handed-over'
            ? `the run was handed over to ${state.outcome?.handover ?? 'another runbook'}`
            : state.status === 'cancelled'
              ? 'the run was cancelled before one was proposed'
              : TERMINAL.has(state.status)
                ? 'the runbook has no automatic repair for what was found, so the run ended without one'
                : 'diagnosis has not finished';
      out.push(`No repair was proposed: ${why}.`);
    }
    if (TERMINAL.has(state.status))
      out.push(`No command that changes anything was run on ${state.target.name}.`);
  }
  const failedChecks = verification.filter((v) => v.passed === false);
  if (failedChecks.length > 0)
    out.push(`Verification did not pass: ${failedChecks.map((v) => v.title).join(', ')}.`);
  if (cancel && !out.some((s) => s.includes('cancelled')))
    out.push(`The run was cancelled by ${cancel.by ? person(cancel.by) : 'someone'}; nothing further ran.`);
  return out;
}

function summarise(
  state: RunState,
  runbook: Runbook,
  r: {
    checked: CheckedStep[];
    rootCause: RootCause | undefined;
    otherProblems: ReportFinding[];
    resolution: ResolutionStep[];
    verification: VerificationItem[];
    notDone: string[];
    finished: boolean;
  },
): string {
  const parts: string[] = [];
  const ran = r.checked.filter((c) => c.status !== 'skipped').length;
  const where = `${state.target.name} (${whereOf(state)})`;
  parts.push(`The ${runbook.id} runbook ran ${ran} diagnosis check${ran === 1 ? '' : 's'} on ${where}.`);
  if (r.rootCause) {
    const lead = r.rootCause.evidence.find((f) => f.severity === 'critical') ?? r.rootCause.evidence[0];
    parts.push(`Root cause: ${sentence(r.rootCause.title)}`);
    if (lead) parts.push(sentence(lead.statement));
  } else if (r.otherProblems.length > 0) {
    parts.push(
      `It found ${r.otherProblems.length} problem${r.otherProblems.length === 1 ? '' : 's'} but no root cause it recognises: ${r.otherProblems
        .map((f) => f.statement)
        .join('; ')}.`,
    );
  } else if (state.status !== 'diagnosing') {
    parts.push('It found nothing wrong.');
  }
  for (const step of r.resolution) {
    const by = step.approvedBy ? `, approved by ${step.approvedBy.by},` : '';
    const result =
      step.status === 'done'
        ? 'succeeded'
        : step.status === 'failed'
          ? 'failed'
          : step.status === 'skipped'
            ? 'was not run'
            : step.status === 'running'
              ? 'had not finished'
              : `was ${step.status}, with no recorded result`;
    parts.push(`The repair "${step.title}"${by} ${result}.`);
  }
  if (r.resolution.length === 0 && r.notDone[0]) parts.push(r.notDone[0]);
  const checks = r.verification.filter((v) => v.passed !== null);
  if (checks.length > 0) {
    const passed = checks.filter((v) => v.passed).length;
    parts.push(`Verification: ${passed} of ${checks.length} check${checks.length === 1 ? '' : 's'} passed.`);
  }
  if (state.outcome) parts.push(`Outcome: ${state.status}. ${sentence(state.outcome.summary)}`);
  else if (!r.finished) parts.push(`The run is still going (${state.status}).`);
  return parts.join(' ');
}
