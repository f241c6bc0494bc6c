import type { Logger, RunStore, StepJob } from '../incidents/ports.js';
import { notRunResult, runActions } from '../incidents/run-actions.js';
import type { Action, ActionRunner, EngineEvent, RunbookLookup } from '../runbooks/index.js';
import { preconditionProbe, repairClearance } from '../runbooks/index.js';
import type { TargetLease } from './target-lease.js';

type NotRunKind = NonNullable<Extract<EngineEvent, { type: 'step-result' }>['notRunKind']>;

export interface RepairDeps {
  store: RunStore;
  runbooks: RunbookLookup;
  runnerFor: (targetName: string) => ActionRunner;
  lease: Pick<TargetLease, 'acquire' | 'release'>;
  emit: (job: StepJob, event: EngineEvent, suffix: string) => Promise<void>;
  log: Logger;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const interrupted = (s: StepJob, reason: string): EngineEvent => ({
  type: 'repair-interrupted',
  stepKey: s.stepKey,
  attempt: s.attempt,
  reason,
});

/**
 * Everything that must hold the moment before a repair touches the target, read from the store
 * rather than trusted from the job. Returns the approved actions to run, or why nothing may run.
 */
async function approvedActions(
  d: RepairDeps,
  s: StepJob,
): Promise<{ actions: Action[] } | { refused: string; kind?: NotRunKind }> {
  const rec = await d.store.load(s.runId);
  if (!rec) return { refused: 'the incident no longer exists' };
  const { state } = rec;
  const clearance = repairClearance(state, s);
  if (!clearance.ok) return { refused: clearance.refused };
  const rb = d.runbooks(state.runbookId);
  const pre = rb ? preconditionProbe(rb, state, s.stepId) : null;
  if (pre) {
    const [result] = pre.action
      ? await runActions(d.runnerFor(s.targetName), [pre.action], 15_000, false)
      : [];
    const held = pre.holds(result ?? notRunResult('the precondition probe did not run'));
    d.log.info({ incident: s.runId, step: s.stepKey, precondition: held.verdict }, 'precondition checked');
    if (held.verdict !== 'present') return { refused: held.statement, kind: held.verdict };
  }
  return { actions: clearance.actions };
}

/**
 * At most once: a started-marker, a lease per target, the approval and the precondition checked
 * again, the approved actions run in order. Whatever goes wrong, the incident hears of it: "not
 * run" before the first action, "interrupted" after, so nothing is left waiting forever.
 */
export async function runRepairJob(
  d: RepairDeps,
  job: { id?: string | undefined; data: StepJob },
): Promise<void> {
  const s = job.data;
  if (!(await d.store.claim(`repair-started.${s.jobId}`, 30 * 86_400))) {
    d.log.warn({ jobId: job.id, incident: s.runId }, 'repair already started once; not running it again');
    return;
  }
  d.log.info({ jobId: job.id, incident: s.runId, step: s.stepKey }, 'step started');
  const notRun = (why: string, kind: NotRunKind = 'refused') =>
    d.emit(
      s,
      {
        type: 'step-result',
        stepKey: s.stepKey,
        attempt: s.attempt,
        results: [],
        notRun: why,
        notRunKind: kind,
      },
      'result',
    );
  let acting = false;
  let leased = false;
  try {
    leased = await d.lease.acquire(s.targetName, s.jobId, s.timeoutMs * s.actions.length + 60_000);
    if (!leased) return await notRun(`another repair is running on ${s.targetName}`);
    const ok = await approvedActions(d, s);
    if ('refused' in ok) return await notRun(ok.refused, ok.kind);
    const runner = d.runnerFor(s.targetName);
    acting = true;
    const results = await runActions(runner, ok.actions, s.timeoutMs, true);
    d.log.info({ jobId: job.id, incident: s.runId, step: s.stepKey }, 'step finished');
    await d.emit(s, { type: 'step-result', stepKey: s.stepKey, attempt: s.attempt, results }, 'result');
  } catch (e) {
    d.log.error({ jobId: job.id, incident: s.runId, err: message(e), acting }, 'repair failed in the worker');
    if (acting)
      await d.emit(s, interrupted(s, `the worker failed while it ran: ${message(e)}`), 'interrupted');
    else await notRun(`the worker could not prepare it: ${message(e)}`);
  } finally {
    if (leased) await d.lease.release(s.targetName, s.jobId).catch(() => undefined);
  }
}
