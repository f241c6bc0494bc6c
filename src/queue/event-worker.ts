import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Orchestrator } from '../incidents/orchestrator.js';
import type { Logger } from '../incidents/ports.js';
import { QUEUES } from './connection.js';
import type { EventJob } from './dispatcher.js';

/** The bot side: every step result, expiry and interruption goes through the orchestrator. */
export function startEventWorker(d: {
  connection: Redis;
  prefix: string;
  orchestrator: Orchestrator;
  concurrency: number;
  log: Logger;
}): { close(): Promise<void> } {
  const worker = new Worker<EventJob>(
    QUEUES.events,
    async (job) => {
      const r = await d.orchestrator.apply(job.data.runId, job.data.event);
      if (r?.ignored)
        d.log.info(
          { incident: job.data.runId, event: job.data.event.type, ignored: r.ignored },
          'event ignored',
        );
    },
    { connection: d.connection, prefix: d.prefix, concurrency: d.concurrency },
  );
  worker.on('error', (err) => d.log.error({ err: err.message }, 'event worker error'));
  worker.on('failed', (job, err) => d.log.error({ jobId: job?.id, err: err.message }, 'event failed'));
  return { close: () => worker.close() };
}
