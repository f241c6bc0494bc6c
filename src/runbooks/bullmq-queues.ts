import { z } from 'zod';

// Seed 004 step 7: the BullMQ queues a target's applications use, read-only. BullMQ keeps a queue
// under `<prefix>:<name>:<part>` (prefix `bull` by default); the names reach a Lua script as KEYS.

/** A BullMQ prefix: letters, digits, _ . - and the braces of a cluster hash tag (`{bull}`). */
export const QUEUE_PREFIX = /^[A-Za-z0-9_.{}-]{1,64}$/;
export const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export const queuesSchema = z
  .object({
    prefix: z.string().regex(QUEUE_PREFIX, 'a BullMQ prefix: letters, digits, _ . - { }').default('bull'),
    names: z
      .array(z.string().regex(QUEUE_NAME, 'a queue name: letters, digits, _ . -'))
      .min(1)
      .max(20)
      .refine((n) => new Set(n).size === n.length, 'each queue once'),
  })
  .strict();

export const queuesViewSchema = z.object({
  prefix: z.string().regex(QUEUE_PREFIX),
  names: z.array(z.string().regex(QUEUE_NAME)),
});
export type QueuesView = z.infer<typeof queuesViewSchema>;
