// Who may approve, as Slack shows people: `<@U…>` for a person, `<!subteam^S…>` for a user group
// (Slack renders it as the group's @handle). Ids come from the configuration; anything that is not an
// id is shown escaped, never as a mention.
import type { WhoMayApprove } from '../incidents/approval-policy.js';
import { escapeMrkdwn } from './blocks.js';

const USER_ID = /^[UW][A-Z0-9_]+$/;
const GROUP_ID = /^S[A-Z0-9_]+$/;

export const mention = (id: string) => (USER_ID.test(id) ? `<@${id}>` : escapeMrkdwn(id));
export const groupMention = (id: string) => (GROUP_ID.test(id) ? `<!subteam^${id}>` : escapeMrkdwn(id));

/** A refusal stays readable with a long list: the first ones by name, then how many more. */
const NAMED = 8;

/** "<@U1>, <@U2> or a member of <!subteam^S1>"; empty when nobody may approve. */
export function whoMayApproveText(who: WhoMayApprove): string {
  // The groups are always named: one of them is who is on call.
  const rest = who.users.length - NAMED;
  const people =
    rest > 1 ? [...who.users.slice(0, NAMED).map(mention), `${rest} more approvers`] : who.users.map(mention);
  const all = [...people, ...who.groups.map((g) => `a member of ${groupMention(g)}`)];
  return all.length <= 1 ? (all[0] ?? '') : `${all.slice(0, -1).join(', ')} or ${all.at(-1)}`;
}
