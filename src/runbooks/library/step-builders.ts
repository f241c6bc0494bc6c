import type { ApprovalStep, Outcome, OutcomeStep, RepairStep } from '../model.js';

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

/** A healthy ending resting on `restsOn`; after a verified repair the run ends `resolved` instead. */
export const healthy = (id: string, summary: string, restsOn: readonly { id: string }[]): OutcomeStep => ({
  ...outcome(id, 'no-fault', summary),
  restsOn: restsOn.map((s) => s.id),
  ifRepaired: 'resolved',
});

/** The endings of an approval nobody gave: the repair was not run (an earlier one may have been). */
export const undecided = (): OutcomeStep[] => [
  outcome('rejected', 'rejected', 'The repair was rejected; it was not run.'),
  outcome('expired', 'expired', 'Nobody decided before the approval expired; the repair was not run.'),
];

/** A repair with the approval that gates it, declared once: neither can name the wrong other. */
export type GuardedRepair = Omit<RepairStep, 'kind' | 'approval'> & {
  gate: { id: string; title: string; onReject?: string };
};
export const guarded = ({ gate: g, ...repair }: GuardedRepair): [ApprovalStep, RepairStep] => [
  gate(g.id, g.title, repair.id, g.onReject),
  { kind: 'repair', ...repair, approval: g.id },
];
