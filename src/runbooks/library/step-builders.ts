import type { ApprovalStep, Outcome, OutcomeStep } from '../model.js';

/** An approval gate; unanswered counts as rejected unless the runbook says otherwise. */
export const gate = (id: string, title: string, repair: string, onReject = 'rejected'): ApprovalStep => ({
  kind: 'approval',
  id,
  title,
  repair,
  onReject,
  onExpire: onReject === 'rejected' ? 'expired' : onReject,
});

/** A terminal step; its title is the summary's first sentence. */
export const outcome = (id: string, kind: Outcome, summary: string, handover?: string): OutcomeStep => ({
  kind: 'outcome',
  id,
  title: summary.split('.')[0] ?? summary,
  outcome: kind,
  summary,
  ...(handover ? { handover } : {}),
});
