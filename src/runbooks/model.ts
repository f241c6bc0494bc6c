import { z } from 'zod';
import type { Action } from './action.js';
import type { ExecResult } from './result.js';
import type { TargetView } from './target.js';

// `unknown`: the check could not be read (unreachable, timed out, refused, a tool missing). A step
// with such a finding is unread, and nothing it would have shown counts as absent.
export const severitySchema = z.enum(['critical', 'warning', 'info', 'ok', 'unknown']);
export type Severity = z.infer<typeof severitySchema>;

export const findingSchema = z.object({
  code: z.string(),
  severity: severitySchema,
  statement: z.string(),
  evidence: z.array(z.string()),
});
export type Finding = z.infer<typeof findingSchema>;

export const factValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);
export type FactValue = z.infer<typeof factValueSchema>;
export type Facts = Record<string, FactValue>;

export interface StepContext {
  target: TargetView;
  facts: Facts;
  /** The client name when the step runs once per client. */
  item?: string;
}

export interface Analysis {
  findings: Finding[];
  facts?: Facts;
  /** The output could not be read, and why (timed out, unreachable, refused, a tool missing). */
  unread?: string;
}

export interface Check {
  passed: boolean;
  statement: string;
  evidence: string[];
  /** Not settled yet (a BGSAVE still running): the engine retries while the step allows. */
  pending?: boolean;
  /**
   * Failed, but because of another fault than the one this repair fixes (a write refused with OOM
   * after a persistence fix): the finding code of that fault. The repair counts as verified, and the
   * diagnosis that follows it finds the other fault.
   */
  otherFault?: string;
  /** The check was refused or could not run (NOPERM, a replica refusing the write): why. */
  unread?: string;
  /** What the check read of the target after the repair: a follow-up repair is built from these. */
  facts?: Facts;
}

/** null: the step cannot be built from what is known (a fact it needs is missing); it is skipped. */
export type ActionBuilder = (ctx: StepContext) => Action | null;
export type ActionsBuilder = (ctx: StepContext) => Action[] | null;
export type Analyzer = (result: ExecResult, ctx: StepContext) => Analysis;
export type Checker = (result: ExecResult, ctx: StepContext) => Check;

// Conditions are data so that a runbook can be listed, validated and shown without running it.
export type Condition =
  | { always: true }
  | { finding: string }
  | { fact: string; equals?: string | number | boolean }
  | { targetKind: 'docker' | 'ssh' }
  | { hasClients: true }
  /** A repair of this run was verified: the look after a fix, not the first one. */
  | { repaired: true }
  /** The step ran and every instance of it was read this round (unknown while one is unread). */
  | { read: string }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.object({ always: z.literal(true) }).strict(),
    z.object({ finding: z.string().min(1) }).strict(),
    z
      .object({ fact: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean()]).optional() })
      .strict(),
    z.object({ targetKind: z.enum(['docker', 'ssh']) }).strict(),
    z.object({ hasClients: z.literal(true) }).strict(),
    z.object({ repaired: z.literal(true) }).strict(),
    z.object({ read: z.string().min(1) }).strict(),
    z.object({ all: z.array(conditionSchema) }).strict(),
    z.object({ any: z.array(conditionSchema) }).strict(),
    z.object({ not: conditionSchema }).strict(),
  ]),
) as z.ZodType<Condition>;

const fn = <T>(what: string) =>
  z.custom<T>((v) => typeof v === 'function', { message: `${what} must be a function` });
const stepId = z.string().regex(/^[a-z][a-z0-9-]*$/, 'step ids are kebab-case');
const timeoutMs = z
  .number()
  .int()
  .min(100)
  .max(15 * 60_000);

const base = { id: stepId, title: z.string().min(1) };
// Once per client, per client that declares a health check, or per BullMQ queue the target names
// (none: not applicable, which counts as read).
const forEachSchema = z.enum(['client', 'health-client', 'queue']);

// Read-only and automatic. `needs` orders steps that read facts found by others; steps with no
// unmet needs are issued together.
export const diagnoseStepSchema = z.object({
  ...base,
  kind: z.literal('diagnose'),
  needs: z.array(stepId).default([]),
  when: conditionSchema.optional(),
  forEach: forEachSchema.optional(),
  action: fn<ActionBuilder>('action'),
  analyze: fn<Analyzer>('analyze'),
  /** Every finding code the analyzer can emit; validation checks conditions against these. */
  emits: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/)).min(1),
  timeoutMs,
});

export const verifyStepSchema = z.object({
  ...base,
  kind: z.literal('verify'),
  needs: z.array(stepId).default([]),
  when: conditionSchema.optional(),
  forEach: forEachSchema.optional(),
  action: fn<ActionBuilder>('action'),
  check: fn<Checker>('check'),
  timeoutMs,
  retry: z.object({ attempts: z.number().int().min(1).max(20), delayMs: z.number().int().min(0) }).optional(),
});

const maxVisits = z.number().int().min(1).max(10).optional();

export const decideStepSchema = z.object({
  ...base,
  kind: z.literal('decide'),
  branches: z.array(z.object({ when: conditionSchema, to: stepId, cause: z.string().optional() })),
  default: stepId.optional(),
  maxVisits,
});

export const approvalStepSchema = z.object({
  ...base,
  kind: z.literal('approval'),
  repair: stepId,
  onReject: stepId,
  onExpire: stepId,
  maxVisits,
});

// Looks again after a repair: a new round of every diagnose step, then `afterDiagnosis` once more,
// so the next fault (or health) is read from the target as it is now, never from stale findings.
export const recheckStepSchema = z.object({
  ...base,
  kind: z.literal('recheck'),
  maxVisits: z.number().int().min(1).max(10),
});

export const repairStepSchema = z.object({
  ...base,
  kind: z.literal('repair'),
  /**
   * Checked again just before acting: this diagnose step is re-run and the repair goes ahead only
   * if one of these findings is still there (the fault may have gone, or been fixed by hand).
   */
  precondition: z.object({ step: stepId, findings: z.array(z.string()).min(1) }).optional(),
  /** The approval step that gates this repair; the engine runs it only from that approval. */
  approval: stepId,
  risk: z.enum(['low', 'medium', 'high']),
  actions: fn<ActionsBuilder>('actions'),
  /** The kinds of target this repair can act on; the engine refuses to propose it on another. */
  targetKinds: z
    .array(z.enum(['docker', 'ssh']))
    .min(1)
    .optional(),
  /** The facts the listing renders this repair's commands from, over the runbook's example facts. */
  example: z.record(z.string(), factValueSchema).optional(),
  verify: z.array(stepId).min(1),
  undo: z.string().optional(),
  onSuccess: stepId,
  onFailure: stepId,
  timeoutMs,
  maxVisits,
});

export const outcomeSchema = z.enum([
  'resolved',
  'escalated',
  'no-fault',
  'handed-over',
  'rejected',
  'expired',
  'interrupted',
  // Could not diagnose: a check the conclusion needed was not read. Escalates, naming what and why.
  'inconclusive',
]);
export type Outcome = z.infer<typeof outcomeSchema>;

export const outcomeStepSchema = z.object({
  ...base,
  kind: z.literal('outcome'),
  outcome: outcomeSchema,
  summary: z.string().min(1),
  handover: z.string().optional(),
  /**
   * For a healthy outcome (no-fault): the diagnose steps the conclusion rests on. Each must have
   * been read in the latest diagnosis round, or the run ends inconclusive instead.
   */
  restsOn: z.array(stepId).optional(),
  /** For no-fault: the outcome used instead when a repair of this run was verified (resolved). */
  ifRepaired: stepId.optional(),
});

export const stepSchema = z.discriminatedUnion('kind', [
  diagnoseStepSchema,
  verifyStepSchema,
  decideStepSchema,
  approvalStepSchema,
  repairStepSchema,
  recheckStepSchema,
  outcomeStepSchema,
]);

export const causeSchema = z.object({
  title: z.string().min(1),
  /** Finding codes whose findings are the evidence for this cause. */
  evidence: z.array(z.string()),
  prevention: z.array(z.string()),
});

export const runbookSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  title: z.string().min(1),
  summary: z.string().min(1),
  targetKinds: z.array(z.enum(['docker', 'ssh'])).min(1),
  /** Where the run goes once every diagnose step has finished or been skipped. */
  afterDiagnosis: stepId,
  steps: z.array(stepSchema).min(1),
  causes: z.record(z.string(), causeSchema),
  /**
   * Example facts: listings render every step's command from its own builder with these, so the
   * text a person reads and the argv that runs cannot drift apart.
   */
  example: z.record(z.string(), factValueSchema).default({}),
});

export type DiagnoseStep = z.infer<typeof diagnoseStepSchema>;
export type VerifyStep = z.infer<typeof verifyStepSchema>;
export type DecideStep = z.infer<typeof decideStepSchema>;
export type ApprovalStep = z.infer<typeof approvalStepSchema>;
export type RepairStep = z.infer<typeof repairStepSchema>;
export type OutcomeStep = z.infer<typeof outcomeStepSchema>;
export type RecheckStep = z.infer<typeof recheckStepSchema>;
export type Step = z.infer<typeof stepSchema>;
export type Cause = z.infer<typeof causeSchema>;
export type Runbook = z.infer<typeof runbookSchema>;
export type RunbookInput = z.input<typeof runbookSchema>;
export type ProbeStep = DiagnoseStep | VerifyStep;
