import { z } from 'zod';
import { actionSchema } from './action.js';
import { factValueSchema, findingSchema, outcomeSchema } from './model.js';
import { execResultSchema } from './result.js';
import { targetViewSchema } from './target.js';

// A run is in progress, or has ended with one of the runbook outcomes, or was cancelled.
const ENDED = [...outcomeSchema.options, 'cancelled'] as const;
export const runStatusSchema = z.enum([
  'diagnosing',
  'awaiting-approval',
  'repairing',
  'verifying',
  ...ENDED,
]);
export type RunStatus = z.infer<typeof runStatusSchema>;
export const TERMINAL: ReadonlySet<RunStatus> = new Set(ENDED);

const checkSchema = z.object({
  passed: z.boolean(),
  statement: z.string(),
  evidence: z.array(z.string()),
  otherFault: z.string().optional(),
});

export const stepRunSchema = z.object({
  key: z.string(),
  stepId: z.string(),
  kind: z.enum(['diagnose', 'verify', 'repair']),
  item: z.string().optional(),
  /** Which visit of its phase this is (a verify step runs again each time its repair does). */
  round: z.number().int().min(1),
  title: z.string(),
  status: z.enum(['running', 'done', 'failed', 'skipped', 'interrupted']),
  attempt: z.number().int().min(1),
  /** The exact commands, rendered from the actions at the moment they were issued. */
  commands: z.array(z.string()),
  actions: z.array(actionSchema),
  issuedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  results: z.array(execResultSchema).default([]),
  findings: z.array(findingSchema).default([]),
  check: checkSchema.optional(),
  skippedBecause: z.string().optional(),
  /** For a repair whose worker died or failed while it ran: what was known of why. */
  interruptedBecause: z.string().optional(),
  /** Present when the step could not be read (unreachable, timed out, refused, skipped for lack of a fact): why. */
  unread: z.string().optional(),
  /** For a repair: the approval it ran under. */
  approvalId: z.string().optional(),
  /** For a repair: the round its verify steps run in, unique in the run (repairs share verify steps). */
  verifyRound: z.number().int().min(1).optional(),
  /** For a repair: its verification passed (a check failing only for another fault counts as passed). */
  verified: z.boolean().optional(),
});
export type StepRun = z.infer<typeof stepRunSchema>;

export const approvalRunSchema = z.object({
  id: z.string(),
  gateId: z.string(),
  repairId: z.string(),
  title: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'expired', 'withdrawn']),
  requestedAt: z.number(),
  expiresAt: z.number(),
  /** Who decided: the rejecter, or the approver whose approval made up the number needed. */
  decidedBy: z.string().optional(),
  decidedAt: z.number().optional(),
  /** How many distinct people must approve before the repair runs; absent: one. */
  needed: z.number().int().min(1).max(5).optional(),
  /** Every approval so far, in the order given; no person twice. */
  approvedBy: z.array(z.object({ by: z.string(), at: z.number() })).optional(),
  risk: z.enum(['low', 'medium', 'high']),
  actions: z.array(actionSchema),
  commands: z.array(z.string()),
  verify: z.array(z.string()),
  undo: z.string().optional(),
  cause: z.string().optional(),
  /** Other causes the same triage found, repaired after this one or handed on. */
  alsoFound: z.array(z.string()).optional(),
  /** Checks that could not be read when this was proposed, and why. */
  unread: z.array(z.string()).optional(),
});
export type ApprovalRun = z.infer<typeof approvalRunSchema>;

export const timelineEntrySchema = z.object({
  at: z.number(),
  kind: z.enum([
    'started',
    'step-issued',
    'step-finished',
    'step-skipped',
    'finding',
    'decision',
    'approval-requested',
    'approval-decided',
    'approval-recorded',
    'approval-expired',
    'repair-issued',
    'repair-finished',
    'verified',
    'cancelled',
    'finished',
    'late-result',
    'repair-interrupted',
    'recheck',
    'alert-firing',
    'alert-received',
    'alert-resolved',
  ]),
  text: z.string(),
  step: z.string().optional(),
  by: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

const phaseSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('diagnosis'), round: z.number().int().min(1).optional() }),
  z.object({ kind: z.literal('approval'), approvalId: z.string() }),
  z.object({ kind: z.literal('repair'), stepKey: z.string() }),
  z.object({ kind: z.literal('verify'), repairKey: z.string() }),
  z.object({ kind: z.literal('done') }),
]);
export type Phase = z.infer<typeof phaseSchema>;

/** Alertmanager's alert fingerprint (a 64-bit hash in hex): the only form kept as a key of `alerts`. */
export const FINGERPRINT = /^[0-9a-f]{1,64}$/;

/** One Alertmanager alert as this incident knows it: the one that opened it, or one noted in it. */
export const alertRunSchema = z.object({
  name: z.string(),
  status: z.enum(['firing', 'resolved']),
  /** When the alert began firing, as Prometheus says (its startsAt), if it said. */
  startsAt: z.number().optional(),
  /** When the bot received the notification that brought it here (detected). */
  detectedAt: z.number(),
  /** When it resolved (Alertmanager's endsAt of the resolved notification, else when that arrived). */
  resolvedAt: z.number().optional(),
  /** True for the alert that opened the incident. */
  opened: z.boolean().optional(),
  /**
   * The startsAt of its latest firing (0: unset), once the alert that opened the incident fired
   * again: that one keeps its first startsAt and detectedAt, which the incident's clock reads.
   */
  latestStartsAt: z.number().optional(),
});
export type AlertRun = z.infer<typeof alertRunSchema>;

export const STATE_SCHEMA_VERSION = 1;

export const runStateSchema = z.object({
  schema: z.literal(STATE_SCHEMA_VERSION),
  runId: z.string(),
  runbookId: z.string(),
  target: targetViewSchema,
  startedBy: z.string(),
  startedAt: z.number(),
  updatedAt: z.number(),
  approvalTtlMs: z.number().int().positive(),
  /** Approvers a high-risk repair needs, fixed when the run starts; absent (older runs): one. */
  highRiskApprovals: z.number().int().min(1).max(5).optional(),
  /** Runbooks that ran on this fault before this one handed it on, oldest first. */
  handedOverFrom: z.array(z.string()).optional(),
  status: runStatusSchema,
  phase: phaseSchema,
  steps: z.record(z.string(), stepRunSchema),
  facts: z.record(z.string(), factValueSchema),
  approvals: z.record(z.string(), approvalRunSchema),
  visits: z.record(z.string(), z.number().int()),
  cause: z.string().optional(),
  /** Every cause the latest triage found true, in the runbook's order (the first is `cause`). */
  causesFound: z.array(z.string()).optional(),
  /** Which diagnosis round is the latest: 1, then one more per recheck after a repair. */
  diagnosisRound: z.number().int().min(1).optional(),
  outcome: z
    .object({
      kind: outcomeSchema.or(z.literal('cancelled')),
      summary: z.string(),
      handover: z.string().optional(),
    })
    .optional(),
  endedAt: z.number().optional(),
  /** Alerts by fingerprint, for an incident an alert opened or one noted in it; absent: none. */
  alerts: z.record(z.string().regex(FINGERPRINT), alertRunSchema).optional(),
  timeline: z.array(timelineEntrySchema),
});
export type RunState = z.infer<typeof runStateSchema>;

export const engineEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('step-result'),
    stepKey: z.string(),
    attempt: z.number().int().min(1),
    results: z.array(execResultSchema),
    /** A repair the worker did not start, and why (its precondition no longer held, say). */
    notRun: z.string().optional(),
    /** Why it was not run: the fault had gone, its presence could not be checked, or it was refused. */
    notRunKind: z.enum(['fixed-meanwhile', 'could-not-check', 'refused']).optional(),
  }),
  z.object({
    type: z.literal('repair-interrupted'),
    stepKey: z.string(),
    attempt: z.number().int().min(1),
    reason: z.string(),
  }),
  z.object({
    type: z.literal('approval-decision'),
    approvalId: z.string(),
    decision: z.enum(['approve', 'reject']),
    by: z.string().min(1),
  }),
  z.object({ type: z.literal('approval-expired'), approvalId: z.string() }),
  z.object({ type: z.literal('cancel'), by: z.string().min(1), reason: z.string().optional() }),
  // An Alertmanager notification about an alert of this incident: recorded and noted, never acted on.
  z.object({
    type: z.literal('alert'),
    status: z.enum(['firing', 'resolved']),
    fingerprint: z.string().regex(FINGERPRINT),
    name: z.string().min(1).max(200),
    /** When the notification was received (detected). */
    at: z.number(),
    startsAt: z.number().optional(),
    /** For a resolved alert: when it resolved. */
    endsAt: z.number().optional(),
  }),
]);
export type EngineEvent = z.infer<typeof engineEventSchema>;
