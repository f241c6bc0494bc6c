import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Orchestrator } from '../incidents/orchestrator.js';
import { eventJobSchema, parsePayload } from '../incidents/payloads.js';
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
      const p = parsePayload(eventJobSchema, job.data);
      if (!p.ok) {
        d.log.error({ jobId: job.id, err: p.error }, 'refused an event that does not parse');
        throw new UnrecoverableError(`event ${job.id} does not parse: ${p.error}`);
      }
      const { runId, event } = p.value;
      const r = await d.orchestrator.apply(runId, event);
      if (r?.ignored) d.log.info({ incident: runId, event: event.type, ignored: r.ignored }, 'event ignored');
    },
    { connection: d.connection, prefix: d.prefix, concurrency: d.concurrency },
  );
  worker.on('error', (err) => d.log.error({ err: err.message }, 'event worker error'));
  worker.on('failed', (job, err) => d.log.error({ jobId: job?.id, err: err.message }, 'event failed'));
  return { close: () => worker.close() };
}
