// Who is in the approver user groups, asked of Slack with `usergroups.users.list` (scope
// usergroups:read). Members are kept for a minute, so a burst of clicks asks Slack once and a change
// to a group counts within a minute. A failed call is never cached, and it leaves anyone not listed
// in APPROVERS unresolved: not knowing must never let someone approve.
import type { ApproverAnswer, ApproverDirectory } from '../incidents/approval-policy.js';
import type { Logger } from '../incidents/ports.js';

/** The one Web API method this needs; Bolt's WebClient has it as it is. */
export interface UserGroupsApi {
  usergroups: {
    users: {
      list(args: { usergroup: string }): Promise<{ ok?: boolean; users?: string[]; error?: string }>;
    };
  };
}

export const GROUP_MEMBERS_TTL_MS = 60_000;

export interface SlackApproverOptions {
  client: UserGroupsApi;
  /** The listed APPROVERS: they count without asking Slack. */
  approvers: readonly string[];
  /** APPROVER_GROUPS: Slack user group ids (S…). */
  groups: readonly string[];
  log: Logger;
  now?: () => number;
  ttlMs?: number;
}

export class SlackApproverDirectory implements ApproverDirectory {
  private readonly cache = new Map<string, { members: ReadonlySet<string>; at: number }>();
  private readonly asking = new Map<string, Promise<ReadonlySet<string>>>();
  private readonly now: () => number;

  constructor(private readonly o: SlackApproverOptions) {
    this.now = o.now ?? Date.now;
  }

  async mayApprove(userId: string): Promise<ApproverAnswer> {
    if (this.o.approvers.includes(userId)) return 'yes';
    const answers = await Promise.allSettled(this.o.groups.map((g) => this.members(g)));
    // Membership of any group that answered is enough; an unread group only matters otherwise.
    if (answers.some((a) => a.status === 'fulfilled' && a.value.has(userId))) return 'yes';
    return answers.some((a) => a.status === 'rejected') ? 'unresolved' : 'no';
  }

  private members(group: string): Promise<ReadonlySet<string>> {
    const hit = this.cache.get(group);
    if (hit && this.now() - hit.at < (this.o.ttlMs ?? GROUP_MEMBERS_TTL_MS))
      return Promise.resolve(hit.members);
    // Ten approvers clicking at once share one call.
    const pending = this.asking.get(group);
    if (pending) return pending;
    const ask = this.list(group)
      .then(
        (members) => {
          this.cache.set(group, { members, at: this.now() });
          return members;
        },
        (e: unknown) => {
          this.o.log.warn(
            { group, err: e instanceof Error ? e.message : String(e) },
            'approver group could not be read',
          );
          throw e;
        },
      )
      .finally(() => this.asking.delete(group));
    this.asking.set(group, ask);
    return ask;
  }

  private async list(group: string): Promise<ReadonlySet<string>> {
    const res = await this.o.client.usergroups.users.list({ usergroup: group });
    if (res.ok === false || !Array.isArray(res.users))
      throw new Error(`usergroups.users.list ${group}: ${res.error ?? 'no member list in the answer'}`);
    return new Set(res.users);
  }
}
