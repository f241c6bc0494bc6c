// The story in the incident's thread: one summary per look at the target (problems first, the
// healthy checks in one line, the full evidence in a file), and each repair's result with its
// verification checklist. Pure functions from the run state to Block Kit.

import type { Finding, RunState, StepRun } from '../runbooks/index.js';
import { checkSettled, verifyRunsOf } from '../runbooks/repair-story.js';
import { redisLogTime } from '../runbooks/report-time.js';
import { type Block, codeSections, context, escapeMrkdwn, fitOrFile, sections } from './blocks.js';
import { findingsText, utc } from './incident-blocks.js';

const PROBLEM: readonly Finding['severity'][] = ['critical', 'warning'];
const ICON: Record<Finding['severity'], string> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  info: ':large_blue_circle:',
  ok: ':white_check_mark:',
  unknown: ':grey_question:',
};
/** Evidence lines shown under each problem; the rest is in the file. */
const EVIDENCE_LINES = 4;

const title = (r: StepRun) => (r.item === undefined ? r.title : `${r.title} (${r.item})`);

export const diagnosisRuns = (s: RunState, round: number) =>
  Object.values(s.steps).filter((r) => r.kind === 'diagnose' && r.round === round);

/** A look is over once every check of its round is settled and the run has moved on from it. */
export function roundDone(s: RunState, round: number): boolean {
  const runs = diagnosisRuns(s, round);
  if (runs.length === 0) return false;
  const settled = runs.every((r) => r.status !== 'running');
  const current = s.phase.kind === 'diagnosis' && (s.phase.round ?? 1) === round;
  return settled && !(current && s.status === 'diagnosing');
}

export interface ThreadMessage {
  text: string;
  blocks: Block[];
  /** The evidence, as a file to attach. */
  file?: { filename: string; content: string };
}

/**
 * In a look after a repair, a log finding whose every dated line was written before the repair
 * began: history the live checks have moved past, not a current problem. Only on Docker targets,
 * whose Redis logs in UTC like the container's clock; a host's log is in its own zone.
 */
function loggedBeforeRepair(s: RunState, round: number, r: StepRun, f: Finding): boolean {
  if (round < 2 || s.target.kind !== 'docker' || r.stepId !== 'logs') return false;
  const starts = Object.values(s.steps)
    .filter((x) => x.kind === 'repair' && x.status === 'done' && x.issuedAt !== undefined)
    .map((x) => x.issuedAt as number)
    .filter((at) => r.issuedAt === undefined || at <= r.issuedAt);
  if (starts.length === 0) return false;
  const repairAt = Math.max(...starts);
  const times = f.evidence.map(redisLogTime);
  return times.some((t) => t !== undefined) && times.every((t) => t === undefined || t < repairAt);
}

export function diagnosisSummary(id: string, s: RunState, round: number): ThreadMessage {
  const runs = diagnosisRuns(s, round);
  const findings = runs.flatMap((r) => r.findings.map((f) => ({ r, f })));
  const flagged = findings.filter(({ f }) => PROBLEM.includes(f.severity));
  const history = flagged.filter(({ r, f }) => loggedBeforeRepair(s, round, r, f));
  const problems = flagged.filter((x) => !history.includes(x));
  const unread = runs.filter((r) => r.unread !== undefined);
  const clean = runs.filter(
    (r) =>
      r.status === 'done' &&
      r.unread === undefined &&
      !r.findings.some((f) => PROBLEM.includes(f.severity) && !history.some((h) => h.f === f)),
  );
  const skipped = runs.filter((r) => r.status === 'skipped' && r.unread === undefined);
  const head = round === 1 ? '*Diagnosis*' : `*Look again after the repair* (diagnosis round ${round})`;
  const verdict =
    problems.length > 0
      ? `${problems.length} problem${problems.length > 1 ? 's' : ''} found`
      : unread.length > 0
        ? 'no problem seen, but not everything could be read'
        : 'no problem found';
  const past =
    history.length > 0
      ? ` (the log still holds ${history.length} entr${history.length > 1 ? 'ies' : 'y'} from before the repair)`
      : '';
  const blocks: Block[] = [...sections(`${head}: ${verdict}${past}, ${runs.length} checks.`)];
  for (const { r, f } of problems) {
    blocks.push(...sections(`${ICON[f.severity]} ${escapeMrkdwn(f.statement)}\n_${escapeMrkdwn(title(r))}_`));
    if (f.evidence.length > 0) blocks.push(...codeSections(f.evidence.slice(0, EVIDENCE_LINES)));
  }
  if (history.length > 0)
    blocks.push(
      ...sections(
        `:clock3: *Logged before the repair* (history, not what Redis does now): ${history
          .map(({ f }) => escapeMrkdwn(f.statement))
          .join('; ')}`,
      ),
    );
  if (unread.length > 0)
    blocks.push(
      ...sections(
        `:grey_question: *Could not read:* ${unread.map((r) => `${escapeMrkdwn(title(r))} (${escapeMrkdwn(r.unread ?? '')})`).join('; ')}`,
      ),
    );
  if (clean.length > 0)
    blocks.push(
      ...sections(
        `:white_check_mark: *Healthy (${clean.length}):* ${clean.map((r) => escapeMrkdwn(title(r))).join(', ')}`,
      ),
    );
  if (skipped.length > 0)
    blocks.push(context(`Not needed here: ${skipped.map((r) => `${escapeMrkdwn(title(r))}`).join(', ')}.`));
  const filename = `${id}-diagnosis-${round}.txt`;
  blocks.push(context(`Every check with its command and evidence: \`${escapeMrkdwn(filename)}\`.`));
  const content = runs
    .filter((r) => r.findings.length > 0 || r.unread !== undefined)
    .map((r) => `${findingsText(id, r)}${r.unread ? `unread: ${r.unread}\n` : ''}`)
    .join('\n');
  const worst = problems[0]?.f.statement;
  return {
    text: `${id} diagnosis: ${verdict}${worst ? `: ${worst}` : ''}`,
    blocks: fitOrFile(blocks, 'More in the attached file.').blocks,
    file: { filename, content },
  };
}

/** The state of a repair's message as shown, so it is rewritten only when it changes. */
export const repairShown = (s: RunState, run: StepRun) =>
  `${run.status}:${run.verified ?? ''}:${verifyRunsOf(s, run).filter(checkSettled).length}`;

export function repairResult(id: string, s: RunState, run: StepRun): ThreadMessage {
  const ok = run.status === 'done';
  const head =
    run.status === 'running'
      ? `:wrench: *Repair running:* ${escapeMrkdwn(run.title)}`
      : ok
        ? `:wrench: *Repair ran:* ${escapeMrkdwn(run.title)}: ok${run.finishedAt ? ` at ${utc(run.finishedAt)}` : ''}`
        : `:x: *Repair ${run.status}:* ${escapeMrkdwn(run.title)}${run.finishedAt ? ` at ${utc(run.finishedAt)}` : ''}`;
  const blocks: Block[] = [...sections(head)];
  const out = run.results.flatMap((r, i) => [
    `$ ${run.commands[i] ?? ''}`,
    ...`${r.stdout}${r.stderr}`.trim().split('\n').filter(Boolean).slice(0, 6),
    `(exit ${r.exitCode ?? 'none'})`,
  ]);
  if (out.length > 0) blocks.push(...codeSections(out));
  if (run.skippedBecause) blocks.push(...sections(`Not run: ${escapeMrkdwn(run.skippedBecause)}`));
  if (run.interruptedBecause)
    blocks.push(...sections(`Interrupted: ${escapeMrkdwn(run.interruptedBecause)}`));
  const checks = verifyRunsOf(s, run);
  if (ok && checks.length > 0) {
    const lines = checks.map((c) => {
      const mark = !checkSettled(c)
        ? ':hourglass_flowing_sand:'
        : c.unread !== undefined
          ? ':grey_question:'
          : c.check?.passed
            ? ':white_check_mark:'
            : c.check?.otherFault
              ? ':large_orange_circle:'
              : ':x:';
      const said = c.check?.statement ?? c.unread ?? 'running';
      return `${mark} ${escapeMrkdwn(title(c))}: ${escapeMrkdwn(said)}`;
    });
    const verdict = run.verified === true ? 'passed' : run.verified === false ? 'did not pass' : 'running';
    blocks.push(...sections(`*Verification ${verdict}:*\n${lines.join('\n')}`));
  }
  const verdict = run.verified === true ? 'verified' : run.verified === false ? 'not verified' : run.status;
  return {
    text: `${id} repair ${run.title}: ${verdict}`,
    blocks: fitOrFile(blocks, 'More in the incident report.').blocks,
  };
}
