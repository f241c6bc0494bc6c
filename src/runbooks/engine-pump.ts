import type { Flow } from './engine-flow.js';
import { finish, note, pumpProbes, stepOf } from './engine-flow.js';
import { goTo } from './engine-route.js';
import { RunbookBotError } from './errors.js';
import type { ProbeStep, Runbook } from './model.js';
import { diagnosisRound } from './run-queries.js';

const probesOf = (rb: Runbook, kind: 'diagnose') => rb.steps.filter((s): s is ProbeStep => s.kind === kind);

/** Moves the run forward as far as it can go without waiting for an outside event. */
export function pump(f: Flow) {
  const { phase } = f.s;
  if (phase.kind === 'diagnosis') {
    if (pumpProbes(f, probesOf(f.rb, 'diagnose'), diagnosisRound(f.s))) goTo(f, f.rb.afterDiagnosis);
    return;
  }
  if (phase.kind !== 'verify') return;
  const repairRun = f.s.steps[phase.repairKey];
  const repair = repairRun && stepOf(f.rb, repairRun.stepId);
  if (!repairRun || repair?.kind !== 'repair')
    throw new RunbookBotError('STATE_INVALID', `no repair for ${phase.repairKey}`);
  const verifySteps = repair.verify
    .map((id) => stepOf(f.rb, id))
    .filter((s): s is ProbeStep => s?.kind === 'verify');
  const round = repairRun.verifyRound ?? repairRun.round;
  if (!pumpProbes(f, verifySteps, round)) return;
  const runs = Object.values(f.s.steps).filter(
    (r) => r.kind === 'verify' && r.round === round && repair.verify.includes(r.stepId),
  );
  // A check that could not be read proves nothing either way: the repair ran, and whether it worked
  // is for a person to see, so no further repair is offered on it.
  const blind = runs.filter((r) => r.unread !== undefined);
  const ran = runs.filter((r) => r.status === 'done');
  if (blind.length > 0 || ran.length === 0) {
    repairRun.verified = false;
    const why =
      blind.length > 0
        ? blind.map((r) => `${r.title}${r.item ? ` (${r.item})` : ''}: ${r.unread}`).join('; ')
        : 'none of its checks applied';
    note(f, 'verified', `Could not verify: ${why}`, { step: repairRun.key });
    finish(
      f,
      'escalated',
      `The repair "${repairRun.title}" ran, but it could not be verified (${why}). Check ${f.s.target.name} by hand; nothing further was run.`,
    );
    return;
  }
  // One that failed only because of another fault verifies this repair; the recheck finds that fault.
  // A check skipped as not applicable (no client declares a health check) neither passes nor fails.
  const failed = ran.filter((r) => !r.check?.passed && !r.check?.otherFault);
  const other = ran.filter((r) => !r.check?.passed && r.check?.otherFault);
  const passed = failed.length === 0;
  repairRun.verified = passed;
  const aside =
    other.length > 0 ? `; failing for another fault: ${other.map((r) => r.check?.statement).join(', ')}` : '';
  note(
    f,
    'verified',
    passed
      ? `Verification passed (${ran.length - other.length} of ${ran.length} checks${aside})`
      : `Verification failed: ${failed.map((r) => r.title).join(', ')}`,
    { step: repairRun.key },
  );
  goTo(f, passed ? repair.onSuccess : repair.onFailure);
}
