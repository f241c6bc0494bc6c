// A click on Approve or Reject. The value must parse and name an approval request, the click must
// come from that request's own card, and then the orchestrator decides (who may, expiry, already
// decided): every refusal is an ephemeral reason for the person who clicked, and runs nothing.
import { moreApprovers } from '../incidents/approval-policy.js';
import { metaKey } from '../incidents/meta.js';
import { approvalsMissing, approvalsNeeded } from '../runbooks/index.js';
import { mention, whoMayApproveText } from './approver-mentions.js';
import { escapeMrkdwn } from './blocks.js';
import { decodeButtonValue } from './button-value.js';
import type { EdgeDeps } from './command-handlers.js';
import { utc } from './incident-blocks.js';

interface Click {
  user: { id: string };
  channel?: { id: string };
  container?: { message_ts?: string; channel_id?: string };
  message?: { ts?: string };
}

export async function handleDecision(
  decision: 'approve' | 'reject',
  body: Click,
  action: { type: string; value?: string },
  d: EdgeDeps,
): Promise<string> {
  const who = body.user.id;
  const value = action.type === 'button' ? decodeButtonValue(action.value) : null;
  if (!value) {
    d.log.warn({ user: who, decision }, 'refused a click with a malformed button value');
    return ':no_entry: This button is not valid: it does not name an approval request. Nothing was run.';
  }
  if (!(await d.ping()))
    return ':warning: The bot cannot reach its Redis right now, so it cannot record your decision. Nothing was run; try again in a minute.';
  let rec = await d.orchestrator.load(value.incident);
  // The card's ts is recorded just after Slack accepts the post; a click can arrive in between.
  for (let i = 0; rec && !rec.meta[metaKey.card(value.approval)] && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 100));
    rec = await d.orchestrator.load(value.incident);
  }
  const cardTs = rec?.meta[metaKey.card(value.approval)];
  const clickedOn = body.container?.message_ts ?? body.message?.ts;
  // The click must come from the very card the approval was posted on, in its incident's channel.
  const clickedIn = body.channel?.id ?? body.container?.channel_id;
  const wrongChannel = rec?.meta.channel !== undefined && clickedIn !== rec.meta.channel;
  if (rec && (!cardTs || !clickedOn || cardTs !== clickedOn || wrongChannel)) {
    d.log.warn(
      { user: who, incident: value.incident, approval: value.approval },
      'refused a click from another card',
    );
    return ':no_entry: This button does not belong to the card it was clicked on. Nothing was run.';
  }
  const r = await d.orchestrator.decide(value.incident, value.approval, decision, who);
  // Whatever happened, the card shows the request as it now stands (decided, expired, withdrawn).
  await d
    .refresh(value.incident)
    .catch((e: unknown) =>
      d.log.warn(
        { incident: value.incident, err: e instanceof Error ? e.message : String(e) },
        'card refresh failed',
      ),
    );
  if (!r.ok) {
    d.log.info(
      { incident: value.incident, approval: value.approval, user: who, refused: r.refusal.code },
      'decision refused',
    );
    const f = r.refusal;
    // Their approval stands: not a refusal of it, only of counting it twice.
    if (f.code === 'already-approved') return `:information_source: ${escapeMrkdwn(f.message)}`;
    if (f.code === 'already-decided' && f.decidedBy !== undefined)
      return `:no_entry: Already ${f.status} by ${mention(f.decidedBy)}${f.decidedAt === undefined ? '' : ` at ${utc(f.decidedAt)}`}.`;
    const ask = 'who' in f && f.who ? whoMayApproveText(f.who) : '';
    return `:no_entry: ${escapeMrkdwn(f.message)}${ask ? ` ${f.code === 'approvers-unresolved' ? 'Who may approve' : 'Ask'}: ${ask}.` : ''}`;
  }
  const a = r.state.approvals[value.approval];
  d.log.info(
    { incident: value.incident, approval: value.approval, user: who, decision },
    'decision recorded',
  );
  if (decision === 'approve' && a?.status === 'pending')
    return `:ballot_box_with_check: Recorded your approval (${a.approvedBy?.length ?? 0} of ${approvalsNeeded(a)}); it needs ${moreApprovers(approvalsMissing(a))} before it runs. Nothing has run yet.`;
  return decision === 'approve'
    ? `:white_check_mark: You approved "${escapeMrkdwn(a?.title ?? value.approval)}" at ${utc(a?.decidedAt ?? Date.now())}. The repair runs now; its result follows in the thread.`
    : `:no_entry: You rejected "${escapeMrkdwn(a?.title ?? value.approval)}". Nothing was run.`;
}
