// What Slack turns into a notification or a link when it renders mrkdwn. Slack reads these control
// sequences only from a literal `<…>`: text escaped as `&lt;!channel&gt;` is shown as those characters
// and pings no one, which is how an app must quote text it did not write. Bare `@channel` or `@name`
// only pings with `link_names`, which the bot never sets, so it is not reported here.

export type Mention =
  /** `<!channel>`, `<!here>`, `<!everyone>`: notifies everyone in the channel (or workspace). */
  | { kind: 'broadcast'; target: 'channel' | 'here' | 'everyone'; raw: string; label?: string }
  /** `<!subteam^S…>`: notifies every member of a user group. */
  | { kind: 'usergroup'; id: string; raw: string; label?: string }
  /** `<@U…>` / `<@W…>`: notifies one user. */
  | { kind: 'user'; id: string; raw: string; label?: string }
  /** `<#C…>`: a link to a channel (no notification). */
  | { kind: 'channel'; id: string; raw: string; label?: string }
  /** `<http…>`, `<mailto:…>`, with an optional label: a link whose text need not match its target. */
  | { kind: 'link'; url: string; raw: string; label?: string };

/** The kinds that notify someone. */
export const PING_KINDS: ReadonlySet<Mention['kind']> = new Set(['broadcast', 'usergroup', 'user']);

// Ids are Slack's upper-case alphanumerics; `_` is allowed too because the local workspace uses ids like
// U_ALICE, and a mention of one must be found.
const ID = '[A-Z0-9_]+';
const BROADCAST = /^!(channel|here|everyone)$/;
const USERGROUP = new RegExp(`^!subteam\\^(S${ID})$`);
const USER = new RegExp(`^@([UW]${ID})$`);
const CHANNEL = new RegExp(`^#([CG]${ID})$`);
const LINK = /^(?:https?:\/\/|mailto:)\S*$/i;

/**
 * Every mention and link real Slack would render from this mrkdwn, in order. Pure: for asserting what
 * a message would ping. Inside backticks too, erring on the side of reporting one.
 */
export function mentionsIn(text: string): Mention[] {
  const found: Mention[] = [];
  for (const m of text.matchAll(/<([^<>]*)>/g)) {
    const raw = m[0];
    const inner = m[1] ?? '';
    const bar = inner.indexOf('|');
    const body = bar < 0 ? inner : inner.slice(0, bar);
    const labelled = bar < 0 ? {} : { label: inner.slice(bar + 1) };
    const broadcast = BROADCAST.exec(body);
    if (broadcast?.[1]) {
      const target = broadcast[1] as 'channel' | 'here' | 'everyone';
      found.push({ kind: 'broadcast', target, raw, ...labelled });
      continue;
    }
    const group = USERGROUP.exec(body)?.[1];
    if (group) {
      found.push({ kind: 'usergroup', id: group, raw, ...labelled });
      continue;
    }
    const user = USER.exec(body)?.[1];
    if (user) {
      found.push({ kind: 'user', id: user, raw, ...labelled });
      continue;
    }
    const channel = CHANNEL.exec(body)?.[1];
    if (channel) {
      found.push({ kind: 'channel', id: channel, raw, ...labelled });
      continue;
    }
    if (LINK.test(body)) found.push({ kind: 'link', url: body, raw, ...labelled });
  }
  return found;
}
