import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ActionRunner } from '../incidents/direct-runner.js';
import type { Logger, RunStore, StepJob } from '../incidents/ports.js';
import type { ExecResult, RunbookLookup } from '../runbooks/index.js';
import { preconditionProbe, succeeded } from '../runbooks/index.js';
import { QUEUES } from './connection.js';
import type { BullDispatcher } from './dispatcher.js';
import { TargetLease } from './target-lease.js';

export interface StepWorkerDeps {
  connection: Redis;
  prefix: string;
  runnerFor: (targetName: string) => ActionRunner;
  store: RunStore;
  runbooks: RunbookLookup;
  dispatcher: BullDispatcher;
  concurrency: number;
  /** How long a job's lock lives without renewal; a dead worker's job is noticed after about this. */
  lockMs: number;
  log: Logger;
}

const failure = (error: string): ExecResult => ({
  exitCode: null,
  stdout: '',
  stderr: '',
  durationMs: 0,
  timedOut: false,
  unreachable: false,
  truncated: false,
  error,
});

async function runOne(runner: ActionRunner, job: StepJob, i: number): Promise<ExecResult> {
  const action = job.actions[i];
  if (!action) return failure('no such action');
  try {
    return await runner.run(action, { timeoutMs: job.timeoutMs });
  } catch (e) {
    // A misconfiguration or a bug of ours: the run must still move on, with the reason on record.
    return failure(`not run: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Runs diagnose/verify steps (at least once) and repairs (at most once) for any incident. */
export function startStepWorkers(d: StepWorkerDeps): { close(): Promise<void> } {
  const lease = new TargetLease(d.connection, d.prefix);
  const report = (job: StepJob, results: ExecResult[], notRun?: string) =>
    d.dispatcher.enqueueEvent(
      job.runId,
      {
        type: 'step-result',
        stepKey: job.stepKey,
        attempt: job.attempt,
        results,
        ...(notRun ? { notRun } : {}),
      },
      { jobId: `${job.jobId}.result` },
    );

  const probe = async (job: Job<StepJob>) => {
    const s = job.data;
    d.log.info(
      { jobId: job.id, incident: s.runId, step: s.stepKey, attempt: job.attemptsMade + 1 },
      'step started',
    );
    const results: ExecResult[] = [];
    for (let i = 0; i < s.actions.length; i++) results.push(await runOne(d.runnerFor(s.targetName), s, i));
    d.log.info({ jobId: job.id, incident: s.runId, step: s.stepKey }, 'step finished');
    await report(s, results);
  };

  /** Every check that must still hold the moment before a repair touches the target. */
  const mayRepair = async (s: StepJob): Promise<string | null> => {
    const rec = await d.store.load(s.runId);
    const run = rec?.state.steps[s.stepKey];
    const approval = s.approvalId ? rec?.state.approvals[s.approvalId] : undefined;
    if (!rec || rec.state.status !== 'repairing' || run?.status !== 'running')
      return `the incident is no longer waiting for this repair (${rec?.state.status ?? 'gone'})`;
    if (approval?.status !== 'approved') return 'its approval is not in force';
    const rb = d.runbooks(rec.state.runbookId);
    const pre = rb ? preconditionProbe(rb, rec.state, s.stepId) : null;
    if (!pre) return null;
    const r = await d.runnerFor(s.targetName).run(pre.action, { timeoutMs: 15_000 });
    const held = pre.holds(r);
    d.log.info({ incident: s.runId, step: s.stepKey, precondition: held.statement }, 'precondition checked');
    return held.ok ? null : held.statement;
  };

  const repair = async (job: Job<StepJob>) => {
    const s = job.data;
    // Marked before anything runs: a job that somehow comes round again finds the mark and stops.
    if (!(await d.store.claim(`repair-started.${s.jobId}`, 30 * 86_400))) {
      d.log.warn({ jobId: job.id, incident: s.runId }, 'repair already started once; not running it again');
      return;
    }
    d.log.info({ jobId: job.id, incident: s.runId, step: s.stepKey }, 'step started');
    const held = await lease.acquire(s.targetName, s.jobId, s.timeoutMs * s.actions.length + 60_000);
    if (!held) return report(s, [], `another repair is running on ${s.targetName}`);
    try {
      const blocked = await mayRepair(s);
      if (blocked) return report(s, [], blocked);
      const results: ExecResult[] = [];
      for (let i = 0; i < s.actions.length; i++) {
        const r = await runOne(d.runnerFor(s.targetName), s, i);
        results.push(r);
        if (!succeeded(r)) break;
      }
      d.log.info({ jobId: job.id, incident: s.runId, step: s.stepKey }, 'step finished');
      return report(s, results);
    } finally {
      await lease.release(s.targetName, s.jobId);
    }
  };

  const common = {
    connection: d.connection,
    prefix: d.prefix,
    lockDuration: d.lockMs,
    stalledInterval: d.lockMs,
  };
  const probes = new Worker<StepJob>(QUEUES.diagnosis, probe, {
    ...common,
    concurrency: d.concurrency,
    maxStalledCount: 3,
  });
  // maxStalledCount 0: a repair whose worker died is failed, never handed to another worker.
  const repairs = new Worker<StepJob>(QUEUES.repair, repair, {
    ...common,
    concurrency: d.concurrency,
    maxStalledCount: 0,
  });

  repairs.on('stalled', async (jobId) => {
    const job = await d.dispatcher.repair.getJob(jobId);
    if (!job) return;
    d.log.warn({ jobId, incident: job.data.runId }, 'repair interrupted: its worker stopped');
    await d.dispatcher.enqueueEvent(
      job.data.runId,
      {
        type: 'repair-interrupted',
        stepKey: job.data.stepKey,
        attempt: job.data.attempt,
        reason: 'its worker stopped mid-repair',
      },
      { jobId: `${job.data.jobId}.interrupted` },
    );
  });
  const giveUp = async (job: Job<StepJob> | undefined, why: string) => {
    if (!job || (await job.getState()) !== 'failed') return;
    d.log.error({ jobId: job.id, incident: job.data.runId, why }, 'step failed for good');
    await report(job.data, [failure(`the worker could not run this step: ${why}`)]);
  };
  probes.on('failed', (job, err) => void giveUp(job, err.message));
  probes.on('stalled', async (jobId) =>
    giveUp(await d.dispatcher.diagnosis.getJob(jobId), 'stalled too often'),
  );
  for (const w of [probes, repairs])
    w.on('error', (err) => d.log.error({ err: err.message }, 'worker error'));

  return {
    close: async () => {
      await Promise.all([probes.close(), repairs.close()]);
    },
  };
}
