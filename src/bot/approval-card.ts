// The approval card: everything a person needs to decide on one repair, and the two buttons bound to
// that one request. Once decided, expired or withdrawn, the buttons give way to who did what and when.

import type { ApprovalRun, Runbook, RunState } from '../runbooks/index.js';
import { followUpReason, rejectLeadsTo, repairRunOf } from '../runbooks/repair-story.js';
import { approvalsNeeded, causeEvidence, resolvedAlerts } from '../runbooks/run-queries.js';
import {
  type Block,
  clamp,
  codeSections,
  context,
  escapeMrkdwn,
  fitOrFile,
  header,
  LIMITS,
  sections,
} from './blocks.js';
import { ACTIONS, encodeButtonValue } from './button-value.js';
import { utc, whereText } from './incident-blocks.js';

const RISK: Record<ApprovalRun['risk'], string> = {
  low: ':large_green_circle: low',
  medium: ':large_orange_circle: medium',
  high: ':red_circle: high',
};

/** Who may approve, as configured: the card names them, so people know whom to ask. */
export interface WhoMayApprove {
  users: readonly string[];
  /** Slack user group ids (S…). */
  groups: readonly string[];
}

/** The state of the card as shown; stored so a card is only rewritten when it changes. */
export const cardState = (a: ApprovalRun, state?: RunState) => {
  if (a.status !== 'pending') {
    const run = state ? repairRunOf(state, a.id) : undefined;
    const after = run ? `:${run.status}:${run.verified ?? ''}:${state?.status ?? ''}` : '';
    return `${a.status}:${a.decidedBy ?? ''}${after}`;
  }
  const base = a.approvedBy?.length ? `pending:${a.approvedBy.map((g) => g.by).join(',')}` : 'pending';
  const resolved = state ? resolvedAlerts(state).length : 0;
  return resolved > 0 ? `${base}:alerts-resolved=${resolved}` : base;
};

/** While the request waits: the alerts of the incident that have resolved, and that it may still be decided. */
function alertResolvedLines(state: RunState, a: ApprovalRun): string[] {
  const resolved = resolvedAlerts(state);
  if (a.status !== 'pending' || resolved.length === 0) return [];
  const names = resolved
    .map((r) => `\`${escapeMrkdwn(r.name)}\` at ${utc(r.resolvedAt ?? r.detectedAt)}`)
    .join(', ');
  return [
    `:information_source: *The alert has resolved:* ${names}. The fault may have cleared by itself: you may still approve or reject this repair.`,
  ];
}

const mention = (id: string) => `<@${escapeMrkdwn(id)}>`;

/** "<@A>", "<@A> and <@B>", "<@A>, <@B> and <@C>". */
const mentions = (ids: readonly string[]) =>
  ids.length <= 1
    ? ids.map(mention).join('')
    : `${ids.slice(0, -1).map(mention).join(', ')} and ${mention(ids.at(-1) ?? '')}`;

/** "Approvals: 1 of 2 — <@U_BOB>", for a request that needs more than one approver. */
function approvalsLine(a: ApprovalRun): string[] {
  const needed = approvalsNeeded(a);
  if (needed <= 1) return [];
  const given = (a.approvedBy ?? []).map((g) => g.by);
  return [
    `*Approvals:* ${given.length} of ${needed}${given.length ? ` — ${given.map(mention).join(', ')}` : ''}`,
  ];
}

function whoLine(who: WhoMayApprove | undefined, a: ApprovalRun): string[] {
  if (!who || a.status !== 'pending') return [];
  const named = [...who.users.map(mention), ...who.groups.map((g) => `<!subteam^${escapeMrkdwn(g)}>`)];
  return [
    named.length
      ? `*Who may approve:* ${named.join(', ')}`
      : '*Who may approve:* nobody: APPROVERS and APPROVER_GROUPS are both empty, so this repair cannot be approved.',
  ];
}

function causeLines(state: RunState, runbook: Runbook | undefined, a: ApprovalRun): string[] {
  const id = a.cause ?? state.cause;
  const cause = id === undefined ? undefined : runbook?.causes[id];
  if (!cause) return ['*Root cause:* not established'];
  const evidence = causeEvidence(state, runbook, { causeId: id, rounds: 'latest' }).map((e) => e.finding);
  const also = (a.alsoFound ?? []).map((c) => runbook?.causes[c]?.title ?? c);
  return [
    `*Root cause:* ${escapeMrkdwn(cause.title)}`,
    ...evidence.map((f) => `• ${escapeMrkdwn(f.statement)}`),
    ...(also.length
      ? [
          `*Also found* (taken up after this repair, each with its own approval): ${also.map(escapeMrkdwn).join('; ')}`,
        ]
      : []),
    ...(a.unread?.length ? [`*Could not check:* ${a.unread.map(escapeMrkdwn).join('; ')}`] : []),
  ];
}

/** What became of an approved repair, as far as the run has got: said after the fact, never before. */
function afterApproval(state: RunState | undefined, a: ApprovalRun): string {
  const run = state ? repairRunOf(state, a.id) : undefined;
  if (!run) return 'The repair is queued.';
  const at = run.finishedAt === undefined ? '' : ` at ${utc(run.finishedAt)}`;
  switch (run.status) {
    case 'running':
      return state?.status === 'cancelled'
        ? 'The repair was running when the incident was cancelled; its result will be recorded.'
        : 'The repair is running.';
    case 'done':
      return run.verified === true
        ? `The repair ran${at}: ok, and its verification passed.`
        : run.verified === false
          ? `The repair ran${at}: ok, but its verification did not pass.`
          : `The repair ran${at}: ok; verifying.`;
    case 'failed':
      return `The repair ran${at}: failed.`;
    case 'interrupted':
      return `The repair was interrupted${at}: ${escapeMrkdwn(run.interruptedBecause ?? 'its worker stopped')}.`;
    default:
      return `The repair was not run: ${escapeMrkdwn(run.skippedBecause ?? run.status)}.`;
  }
}

function outcomeLine(a: ApprovalRun, state?: RunState): string {
  const when = a.decidedAt === undefined ? '' : ` at ${utc(a.decidedAt)}`;
  switch (a.status) {
    case 'approved': {
      const all =
        (a.approvedBy?.length ?? 0) > 1 ? (a.approvedBy ?? []).map((g) => g.by) : [a.decidedBy ?? '?'];
      return `:white_check_mark: *Approved* by ${mentions(all)}${when}. ${afterApproval(state, a)}`;
    }
    case 'rejected':
      return `:no_entry: *Rejected* by <@${escapeMrkdwn(a.decidedBy ?? '?')}>${when}. Nothing was run.`;
    case 'expired':
      return `:hourglass: *Expired*${a.approvedBy?.length ? '' : ' unanswered'} at ${utc(a.expiresAt)}. Nothing was run.`;
    case 'withdrawn':
      return ':no_entry_sign: *Withdrawn*: the incident was cancelled. Nothing was run.';
    default:
      return '';
  }
}

/** A repair proposed after another one ran: what that one did, and the check that still fails. */
function followUpLines(state: RunState, a: ApprovalRun): string[] {
  const why = followUpReason(state, a);
  if (!why) return [];
  const after = `“${escapeMrkdwn(why.after)}”`;
  if (why.because.length === 0)
    return [
      `:information_source: *A follow-up:* ${after} already ran${why.verified ? ' and was verified' : ''}; the look after it found the fault below.`,
    ];
  return [
    `:information_source: *Why this is proposed:* ${after} ran, but the check after it still fails:`,
    ...why.because.map(
      (b) =>
        `• ${escapeMrkdwn(b.statement)}${b.evidence.length ? ` (\`${escapeMrkdwn(b.evidence.join(' | ').replace(/`/g, "'").slice(0, 300))}\`)` : ''}`,
    ),
  ];
}

function rejectLine(runbook: Runbook | undefined, a: ApprovalRun): string[] {
  if (a.status !== 'pending') return [];
  const to = rejectLeadsTo(runbook, a);
  return to ? [`*If you reject:* ${escapeMrkdwn(to)}`] : [];
}

export function approvalCard(
  incidentId: string,
  state: RunState,
  runbook: Runbook | undefined,
  a: ApprovalRun,
  who?: WhoMayApprove,
): { text: string; blocks: Block[]; overflow: boolean; fullText: string } {
  const resolved = alertResolvedLines(state, a);
  const why = followUpLines(state, a);
  const blocks: Block[] = [
    header(`Approval needed: ${a.title}`),
    ...(resolved.length ? sections(resolved.join('\n')) : []),
    ...(why.length ? sections(why.join('\n')) : []),
    ...sections(causeLines(state, runbook, a).join('\n')),
    ...sections(`*Target:* \`${escapeMrkdwn(state.target.name)}\` (${whereText(state)})`),
    ...codeSections(a.commands, '*The repair will run exactly:*'),
    ...sections(
      [
        `*Risk:* ${RISK[a.risk]}`,
        `*Verified afterwards:* ${a.verify.length ? a.verify.map(escapeMrkdwn).join('; ') : 'nothing'}`,
        `*Undo:* ${a.undo ? escapeMrkdwn(a.undo) : 'none declared'}`,
        ...rejectLine(runbook, a),
        `*Expires:* ${utc(a.expiresAt)}`,
        ...approvalsLine(a),
        ...whoLine(who, a),
      ].join('\n'),
    ),
  ];
  const value = encodeButtonValue(incidentId, a.id);
  const button = (text: string, action: string, style: 'primary' | 'danger') => ({
    type: 'button',
    text: { type: 'plain_text', text: clamp(text, LIMITS.buttonText) },
    action_id: action,
    value,
    style,
  });
  const tail: Block =
    a.status === 'pending'
      ? {
          type: 'actions',
          block_id: clamp(`approval.${a.id}`, 255),
          elements: [
            button('Approve', ACTIONS.approve, 'primary'),
            button('Reject', ACTIONS.reject, 'danger'),
          ],
        }
      : (sections(outcomeLine(a, state))[0] as Block);
  blocks.push(context(`Approval request \`${escapeMrkdwn(a.id)}\` for ${escapeMrkdwn(incidentId)}.`));
  // The buttons (or the decision) must survive any fitting, so they go last, after the fit.
  const fitted = fitOrFile(
    blocks,
    'Not all commands fit on this card: the full list is in the attached file.',
  );
  const body =
    fitted.blocks.length >= LIMITS.blocks ? fitted.blocks.slice(0, LIMITS.blocks - 1) : fitted.blocks;
  const given = a.approvedBy?.length ?? 0;
  const status =
    a.status !== 'pending'
      ? a.status
      : given > 0
        ? `${given} of ${approvalsNeeded(a)} approvals`
        : 'waiting for a decision';
  return {
    text: `${incidentId}: approval for "${a.title}" on ${state.target.name} (${status})`,
    blocks: [...body, tail],
    overflow: fitted.overflow,
    fullText: a.commands.join('\n'),
  };
}
