import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EventJob } from '../incidents/payloads.js';
import type { Dispatcher, StepJob } from '../incidents/ports.js';
import type { EngineEvent } from '../runbooks/index.js';
import { QUEUES } from './connection.js';

export type { EventJob };

// Completed jobs are kept a day: while a job id exists BullMQ ignores a second add with that id,
// which is what makes re-dispatching a command after a crash harmless.
const KEEP = { removeOnComplete: { age: 86_400 }, removeOnFail: { age: 7 * 86_400 } };

/** Turns engine commands into BullMQ jobs with deterministic ids. */
export class BullDispatcher implements Dispatcher {
  readonly diagnosis: Queue<StepJob>;
  readonly repair: Queue<StepJob>;
  readonly events: Queue<EventJob>;

  /**
   * `onError` hears the queues' connection errors. Without a listener BullMQ prints the error whole
   * to stderr, and a failed AUTH's error holds the password in its command arguments.
   */
  constructor(connection: Redis, prefix: string, onError: (err: Error) => void = () => undefined) {
    const opts = { connection, prefix };
    this.diagnosis = new Queue<StepJob>(QUEUES.diagnosis, opts);
    this.repair = new Queue<StepJob>(QUEUES.repair, opts);
    this.events = new Queue<EventJob>(QUEUES.events, opts);
    for (const q of [this.diagnosis, this.repair, this.events]) q.on('error', onError);
  }

  async enqueueStep(job: StepJob, delayMs?: number): Promise<void> {
    const delay = delayMs ? { delay: delayMs } : {};
    if (job.kind === 'repair') {
      // At most once: one attempt, and a stalled repair is failed, never re-run (see the worker).
      await this.repair.add('repair', job, { jobId: job.jobId, attempts: 1, ...KEEP, ...delay });
    } else {
      // At least once: a read-only step may run again after a crash; the engine drops the duplicate.
      await this.diagnosis.add(job.kind, job, {
        jobId: job.jobId,
        attempts: 3,
        backoff: { type: 'fixed', delay: 1000 },
        ...KEEP,
        ...delay,
      });
    }
  }

  async enqueueEvent(
    runId: string,
    event: EngineEvent,
    opts: { jobId: string; delayMs?: number },
  ): Promise<void> {
    await this.events.add(
      event.type,
      { runId, event },
      {
        jobId: opts.jobId,
        attempts: 5,
        backoff: { type: 'exponential', delay: 500 },
        // A step result carries the target's output before the engine redacts known secret values
        // from it: gone once handled. The engine drops a result delivered twice, so no id is kept.
        ...KEEP,
        removeOnComplete: true,
        ...(opts.delayMs ? { delay: opts.delayMs } : {}),
      },
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.diagnosis.close(), this.repair.close(), this.events.close()]);
  }
}
