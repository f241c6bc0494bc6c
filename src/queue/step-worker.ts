import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { parsePayload, stepJobSchema } from '../incidents/payloads.js';
import type { Logger, RunStore, StepJob } from '../incidents/ports.js';
import { notRunResult, runActions } from '../incidents/run-actions.js';
import type { ActionRunner, EngineEvent, ExecResult, RunbookLookup } from '../runbooks/index.js';
import { redactResult } from '../runbooks/index.js';
import { redactKnown } from '../runbooks/redact.js';

import { QUEUES } from './connection.js';
import type { BullDispatcher } from './dispatcher.js';
import { interrupted, runRepairJob } from './repair-job.js';
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
  /**
   * Credentials of this process (the Slack tokens and signing secret), removed from every result,
   * reason and log line before it leaves the worker: a queued event stays in Redis until handled,
   * and for days when handling fails. Not the targets' Redis passwords: the analyzers read the
   * output after the queue, and a password such as "ok" would erase what they match (the engine
   * removes those from what it stores).
   */
  secrets?: readonly string[];
}

/** An event with the given secret values removed from every text that came from a target. */
export function scrubEvent(event: EngineEvent, secrets: readonly string[]): EngineEvent {
  if (secrets.length === 0) return event;
  const clean = (t: string, o?: { cut?: boolean }) => redactKnown(t, secrets, o);
  if (event.type === 'repair-interrupted') return { ...event, reason: clean(event.reason) };
  if (event.type !== 'step-result') return event;
  return {
    ...event,
    results: event.results.map((r) => redactResult(r, clean)),
    ...(event.notRun !== undefined ? { notRun: clean(event.notRun) } : {}),
  };
}

/** A logger that removes the given secret values from the message and every string field. */
export function scrubbedLogger(log: Logger, secrets: readonly string[]): Logger {
  if (secrets.length === 0) return log;
  const clean = (obj: object) =>
    Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [k, typeof v === 'string' ? redactKnown(v, secrets) : v]),
    );
  const msg = (m: string | undefined) => (m === undefined ? m : redactKnown(m, secrets));
  return {
    info: (obj, m) => log.info(clean(obj), msg(m)),
    warn: (obj, m) => log.warn(clean(obj), msg(m)),
    error: (obj, m) => log.error(clean(obj), msg(m)),
  };
}

const failure = notRunResult;

/** Runs diagnose/verify steps (at least once) and repairs (at most once) for any incident. */
export function startStepWorkers(deps: StepWorkerDeps): { close(): Promise<void> } {
  const secrets = deps.secrets ?? [];
  const d = { ...deps, log: scrubbedLogger(deps.log, secrets) };
  const lease = new TargetLease(d.connection, d.prefix);
  // Every event leaves through here, so none carries this process's credentials into Redis.
  const send = (job: StepJob, event: EngineEvent, jobId: string) =>
    d.dispatcher.enqueueEvent(job.runId, scrubEvent(event, secrets), { jobId });
  const report = (job: StepJob, results: ExecResult[], notRun?: string) =>
    send(
      job,
      {
        type: 'step-result',
        stepKey: job.stepKey,
        attempt: job.attempt,
        results,
        ...(notRun ? { notRun } : {}),
      },
      `${job.jobId}.result`,
    );

  // A payload that does not parse names no step to report to: it is logged and failed for good.
  const payload = (job: Job<StepJob>): StepJob => {
    const p = parsePayload(stepJobSchema, job.data);
    if (p.ok) return p.value;
    d.log.error(
      { jobId: job.id, queue: job.queueName, err: p.error },
      'refused a step job that does not parse',
    );
    throw new UnrecoverableError(`step job ${job.id} does not parse: ${p.error}`);
  };

  const probe = async (job: Job<StepJob>) => {
    const s = payload(job);
    d.log.info(
      { jobId: job.id, incident: s.runId, step: s.stepKey, attempt: job.attemptsMade + 1 },
      'step started',
    );
    const results = await runActions(d.runnerFor(s.targetName), s.actions, s.timeoutMs, false);
    d.log.info({ jobId: job.id, incident: s.runId, step: s.stepKey }, 'step finished');
    await report(s, results);
  };

  const emit = (job: StepJob, event: EngineEvent, suffix: string) =>
    send(job, event, `${job.jobId}.${suffix}`);
  const repair = (job: Job<StepJob>) =>
    runRepairJob(
      { store: d.store, runbooks: d.runbooks, runnerFor: d.runnerFor, lease, emit, log: d.log },
      { id: job.id, data: payload(job) },
    );

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

  // Listeners must never throw: an unhandled rejection would end the process and lose the event.
  const safely = (what: string, fn: () => Promise<unknown>) =>
    void fn().catch((e: unknown) => d.log.error({ err: String(e) }, `${what} failed`));
  const handBack = async (job: Job<StepJob> | undefined, reason: string) => {
    if (!job) return;
    d.log.warn({ jobId: job.id, incident: job.data.runId, reason }, 'repair interrupted');
    await emit(job.data, interrupted(job.data, reason), 'interrupted');
  };
  // A stalled repair (its worker died) is failed, never retried; the incident is handed to a person.
  repairs.on('stalled', (jobId) =>
    safely('stalled repair', async () =>
      handBack(await d.dispatcher.repair.getJob(jobId), 'its worker stopped mid-repair'),
    ),
  );
  // A backstop: runRepairJob reports its own failures, so this fires only if that report failed too.
  repairs.on('failed', (job, err) =>
    safely('failed repair', () => handBack(job, `the worker failed: ${err.message}`)),
  );
  const giveUp = async (job: Job<StepJob> | undefined, why: string) => {
    if (!job || (await job.getState()) !== 'failed') return;
    d.log.error({ jobId: job.id, incident: job.data.runId, why }, 'step failed for good');
    await report(job.data, [failure(`the worker could not run this step: ${why}`)]);
  };
  probes.on('failed', (job, err) => safely('failed step', () => giveUp(job, err.message)));
  probes.on('stalled', (jobId) =>
    safely('stalled step', async () =>
      giveUp(await d.dispatcher.diagnosis.getJob(jobId), 'stalled too often'),
    ),
  );
  for (const w of [probes, repairs])
    w.on('error', (err) => d.log.error({ err: err.message }, 'worker error'));

  return {
    close: async () => {
      await Promise.all([probes.close(), repairs.close()]);
    },
  };
}
