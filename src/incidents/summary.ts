import { z } from 'zod';
import type { RunState } from '../runbooks/index.js';
import { pendingApproval, runStatusSchema } from '../runbooks/index.js';
import type { IncidentMeta } from './meta.js';

// What `/incident status` and `list` (and the alert intake's look for a lost incident) read of each
// incident: a few hundred bytes written beside the state on every save, so listing fifty incidents
// reads fifty of these instead of fifty whole states.

export const runSummarySchema = z.object({
  runbookId: z.string(),
  status: runStatusSchema,
  startedBy: z.string(),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  /** The approval a person may decide now. */
  pending: z.object({ title: z.string(), expiresAt: z.number() }).optional(),
  outcome: z.string().optional(),
  /** The newest timeline entry. */
  last: z.object({ at: z.number(), text: z.string() }).optional(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

/** One incident as listed: its summary with where it lives. */
export interface IncidentListing {
  id: string;
  targetName: string;
  meta: IncidentMeta;
  summary: RunSummary;
}

/** Derived here only: every store writes what this returns, and a record without one is derived on read. */
export function summaryOf(s: RunState): RunSummary {
  const pending = pendingApproval(s);
  const last = s.timeline.at(-1);
  return {
    runbookId: s.runbookId,
    status: s.status,
    startedBy: s.startedBy,
    startedAt: s.startedAt,
    ...(s.endedAt === undefined ? {} : { endedAt: s.endedAt }),
    ...(pending ? { pending: { title: pending.title, expiresAt: pending.expiresAt } } : {}),
    ...(s.outcome ? { outcome: s.outcome.summary } : {}),
    ...(last ? { last: { at: last.at, text: last.text } } : {}),
  };
}

/** An incident record (IncidentRecord) as listed. */
export const listingOf = (r: Omit<IncidentListing, 'summary'> & { state: RunState }): IncidentListing => ({
  id: r.id,
  targetName: r.targetName,
  meta: r.meta,
  summary: summaryOf(r.state),
});
