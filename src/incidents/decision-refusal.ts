import type { Ignored, RunState } from '../runbooks/index.js';
import { approvalsMissing, utcIso } from '../runbooks/index.js';
import type { PolicyRefusal } from './approval-policy.js';
import { moreApprovers } from './approval-policy.js';

// Why a decision on an approval changed nothing, as data the edge shows the person who clicked.

export type DecisionRefusal =
  | PolicyRefusal
  | { code: 'unknown-incident' | 'unknown-approval' | 'expired' | 'finished'; message: string }
  // The same person approving twice: their approval stands, and it still needs `missing` others.
  | { code: 'already-approved'; message: string; missing: number }
  // Who decided is data: an edge names the person its own way (Slack as a mention).
  | { code: 'already-decided'; message: string; status: string; decidedBy?: string; decidedAt?: number };

/** The refusal for a decision the engine ignored, read from the state it left. */
export function refusalOf(
  id: string,
  state: RunState,
  approvalId: string,
  ignored: Ignored,
): DecisionRefusal {
  const a = state.approvals[approvalId];
  const when = (ms?: number) => (ms ? utcIso(ms).replace(/\.\d{3}Z$/, 'Z') : '?');
  const missing = a ? approvalsMissing(a) : 0;
  if (ignored === 'already-approved')
    return {
      code: 'already-approved',
      message: `You have already approved this; it needs ${moreApprovers(missing)} before it runs. Nothing has run yet.`,
      missing,
    };
  if (ignored === 'approval-expired' || a?.status === 'expired')
    return { code: 'expired', message: `This approval expired at ${when(a?.expiresAt)}; nothing was run.` };
  if (a && a.status !== 'pending' && a.status !== 'withdrawn')
    return {
      code: 'already-decided',
      message: `Already ${a.status} by ${a.decidedBy ?? 'someone'} at ${when(a.decidedAt)}.`,
      status: a.status,
      ...(a.decidedBy === undefined ? {} : { decidedBy: a.decidedBy }),
      ...(a.decidedAt === undefined ? {} : { decidedAt: a.decidedAt }),
    };
  return { code: 'finished', message: `Incident ${id} has already ended (${state.status}).` };
}
