import { z } from 'zod';
import { engineCommandSchema, engineEventSchema, executeCommandSchema } from '../runbooks/index.js';

// What crosses the queue and the store between processes, with the schemas it is read back with: a
// worker, the event consumer and the outbox never trust a payload's shape.

export const stepJobSchema = executeCommandSchema
  .omit({ type: true, delayMs: true })
  .extend({ targetName: z.string().min(1), runbookId: z.string().min(1) });
/** A step as queued for a worker: the engine's execute command, with where and under which runbook. */
export type StepJob = z.infer<typeof stepJobSchema>;

export const eventJobSchema = z.object({ runId: z.string().min(1), event: engineEventSchema });
export type EventJob = z.infer<typeof eventJobSchema>;

export const outboxEntrySchema = z.object({ seq: z.string().min(1), command: engineCommandSchema });
/** A command waiting to be carried out, with an id unique within its incident. */
export type OutboxEntry = z.infer<typeof outboxEntrySchema>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export function parsePayload<T>(schema: z.ZodType<T>, raw: unknown): Parsed<T> {
  const r = schema.safeParse(raw);
  return r.success
    ? { ok: true, value: r.data }
    : {
        ok: false,
        error: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
      };
}
