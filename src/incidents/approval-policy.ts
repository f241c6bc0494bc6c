export interface ApprovalPolicy {
  approvers: readonly string[];
  allowSelfApproval: boolean;
}

export type PolicyRefusal = { code: 'not-an-approver' | 'self-approval'; message: string };

/** Who may decide on a repair; a refusal is data the Slack edge shows to the person who clicked. */
export function mayDecide(policy: ApprovalPolicy, userId: string, startedBy: string): PolicyRefusal | null {
  if (!policy.approvers.includes(userId))
    return {
      code: 'not-an-approver',
      message:
        policy.approvers.length === 0
          ? 'Nobody is allowed to approve repairs: APPROVERS is empty.'
          : 'You are not in the list of people allowed to approve repairs (APPROVERS).',
    };
  if (userId === startedBy && !policy.allowSelfApproval)
    return {
      code: 'self-approval',
      message:
        'You started this incident, so someone else must approve its repair (ALLOW_SELF_APPROVAL is off).',
    };
  return null;
}
