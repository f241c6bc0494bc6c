import { z } from 'zod';
import { actionSchema } from './action.js';
import type { RunState } from './state.js';
import { approvalRunSchema, runStatusSchema } from './state.js';

// What the engine asks the edges to do, and the transition that carries it. Commands cross process
// boundaries (an outbox entry, a queued step), so their types are derived from the schemas they are
// parsed with there.

export const executeCommandSchema = z.object({
  type: z.literal('execute'),
  runId: z.string().min(1),
  stepKey: z.string().min(1),
  stepId: z.string().min(1),
  kind: z.enum(['diagnose', 'verify', 'repair']),
  attempt: z.number().int().min(1),
  actions: z.array(actionSchema),
  timeoutMs: z.number().int().positive(),
  delayMs: z.number().int().min(0).optional(),
  approvalId: z.string().min(1).optional(),
  jobId: z.string().regex(/^[^:]+$/),
});
/** Run a step's actions. `delayMs`: no earlier than this from now (a verify retry); `approvalId`: a repair's approval; `jobId`: deterministic per attempt, a safe queue job id. */
export type ExecuteCommand = z.infer<typeof executeCommandSchema>;

const runId = z.string().min(1);

export const engineCommandSchema = z.discriminatedUnion('type', [
  executeCommandSchema,
  z.object({ type: z.literal('request-approval'), runId, approval: approvalRunSchema }),
  z.object({ type: z.literal('withdraw-approval'), runId, approvalId: z.string().min(1) }),
  z.object({ type: z.literal('post-findings'), runId, stepKey: z.string().min(1) }),
  z.object({ type: z.literal('schedule-expiry'), runId, approvalId: z.string().min(1), at: z.number() }),
  z.object({ type: z.literal('status'), runId, status: runStatusSchema }),
  z.object({ type: z.literal('finish'), runId, status: runStatusSchema, summary: z.string() }),
  z.object({ type: z.literal('handover'), runId, runbookId: z.string().min(1) }),
  /** A line for the incident's thread, posted once per key (an alert that fired again, resolved). */
  z.object({
    type: z.literal('post-note'),
    runId,
    key: z.string().regex(/^[\w.:-]{1,180}$/),
    text: z.string(),
  }),
  /** File the report of an ended incident again: something was added to its timeline. */
  z.object({ type: z.literal('refile-report'), runId }),
]);
export type EngineCommand = z.infer<typeof engineCommandSchema>;

/** Why an event changed nothing; returned as data so the edge can tell the person who sent it. */
export type Ignored =
  | 'run-finished'
  | 'unknown-step'
  | 'duplicate-result'
  | 'stale-attempt'
  | 'unknown-approval'
  | 'approval-not-pending'
  /** An approve from someone whose approval is already counted: it does not make a second approver. */
  | 'already-approved'
  | 'approval-expired'
  /** An alert notification this incident has already recorded (Alertmanager repeats them). */
  | 'duplicate-alert';

export interface Transition {
  state: RunState;
  commands: EngineCommand[];
  ignored?: Ignored;
}
