export interface ApprovalPolicy {
  approvers: readonly string[];
  /** User groups whose members may approve too; who is in them is asked of an ApproverDirectory. */
  approverGroups?: readonly string[];
  allowSelfApproval: boolean;
}

/** Whether someone may approve: 'unresolved' when who may could not be found out (Slack did not answer). */
export type ApproverAnswer = 'yes' | 'no' | 'unresolved';

/** Who is in the approver groups: a question for Slack, so it is a port, asked once per decision. */
export interface ApproverDirectory {
  mayApprove(userId: string): Promise<ApproverAnswer>;
}

/** Who may approve, as ids: each edge names them its own way (Slack as mentions of people and groups). */
export interface WhoMayApprove {
  users: readonly string[];
  groups: readonly string[];
}

export type PolicyRefusal = {
  code: 'not-an-approver' | 'self-approval' | 'approvers-unresolved';
  message: string;
  /** Whom the person refused can ask instead (themselves left out); empty when nobody may. */
  who?: WhoMayApprove;
};

const listed = (policy: ApprovalPolicy, userId: string): ApproverAnswer =>
  policy.approvers.includes(userId) ? 'yes' : 'no';

/**
 * Whether a person may approve: the listed APPROVERS without asking anyone, then the groups through
 * the directory. A directory that fails, or groups with no directory to ask, leave it unresolved:
 * not knowing must never let someone in.
 */
export async function approverAnswer(
  policy: ApprovalPolicy,
  directory: ApproverDirectory | undefined,
  userId: string,
): Promise<ApproverAnswer> {
  const answer = listed(policy, userId);
  if (answer === 'yes' || !policy.approverGroups?.length) return answer;
  if (!directory) return 'unresolved';
  try {
    return await directory.mayApprove(userId);
  } catch {
    return 'unresolved';
  }
}

/** "one more approver", "2 more approvers". */
export const moreApprovers = (n: number) => (n === 1 ? 'one more approver' : `${n} more approvers`);

/**
 * Who may decide on a repair; a refusal is data the Slack edge shows to the person who clicked.
 * `answer` is what approverAnswer found; without it only the listed APPROVERS count.
 */
export function mayDecide(
  policy: ApprovalPolicy,
  userId: string,
  startedBy: string,
  answer: ApproverAnswer = listed(policy, userId),
): PolicyRefusal | null {
  const selfRefused = userId === startedBy && !policy.allowSelfApproval;
  const groups = policy.approverGroups ?? [];
  const who: WhoMayApprove = { users: policy.approvers.filter((u) => u !== userId), groups };
  // The starter is refused whatever the groups say, so a group that could not be read does not matter.
  if (answer === 'unresolved' && !selfRefused)
    return {
      code: 'approvers-unresolved',
      message:
        'The bot could not check who may approve (Slack did not answer for an approver user group), so your decision was not recorded. Nothing was run; try again in a minute.',
      who,
    };
  if (answer === 'no')
    return {
      code: 'not-an-approver',
      message:
        policy.approvers.length === 0 && groups.length === 0
          ? 'Nobody is allowed to approve repairs: the bot has no approvers configured (APPROVERS and APPROVER_GROUPS are empty). Nothing was run.'
          : 'You are not allowed to approve repairs. Nothing was run.',
      who,
    };
  if (selfRefused)
    return {
      code: 'self-approval',
      message: 'You started this incident, so someone else must approve its repair. Nothing was run.',
      who,
    };
  return null;
}
