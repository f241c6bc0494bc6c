// Who a user id is, asked of Slack with `users.info` (scope users:read), for the incident reports.
// A name is kept for ten minutes, so a report naming the same approver five times, or ten reports
// in a row, ask once; a rename shows within ten minutes. A failed call is never kept: the next
// report asks again.
import type { PeopleDirectory } from '../incidents/ports.js';

/** The one Web API method this needs; Bolt's WebClient has it as it is. */
export interface UsersInfoApi {
  users: {
    info(args: { user: string }): Promise<{
      ok?: boolean;
      error?: string;
      user?: {
        name?: string;
        real_name?: string;
        profile?: { display_name?: string; real_name?: string };
      };
    }>;
  };
}

export const PEOPLE_TTL_MS = 10 * 60_000;

/** A lookup that failed; `code` is Slack's error code (or the transport's), safe to log. */
export class PeopleLookupError extends Error {
  constructor(readonly code: string) {
    super(`users.info failed: ${code}`);
    this.name = 'PeopleLookupError';
  }
}

export interface SlackPeopleOptions {
  client: UsersInfoApi;
  now?: () => number;
  ttlMs?: number;
}

type Info = Awaited<ReturnType<UsersInfoApi['users']['info']>>;

const named = (s: string | undefined) => (s !== undefined && s.trim() !== '' ? s.trim() : undefined);

/** The name Slack itself shows for a person: the display name they chose, else their full name, else the handle. */
export function nameFrom(user: NonNullable<Info['user']>): string | undefined {
  return (
    named(user.profile?.display_name) ??
    named(user.profile?.real_name) ??
    named(user.real_name) ??
    named(user.name)
  );
}

/** Bolt throws on `ok: false`, with Slack's code under `data.error`; a fake may just answer it. */
function slackError(e: unknown): string {
  const data = (e as { data?: { error?: unknown } } | null)?.data;
  if (typeof data?.error === 'string') return data.error;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'request_failed';
}

export class SlackPeopleDirectory implements PeopleDirectory {
  private readonly cache = new Map<string, { name: string | undefined; at: number }>();
  private readonly asking = new Map<string, Promise<string | undefined>>();
  private readonly now: () => number;

  constructor(private readonly o: SlackPeopleOptions) {
    this.now = o.now ?? Date.now;
  }

  nameOf(userId: string): Promise<string | undefined> {
    const hit = this.cache.get(userId);
    if (hit && this.now() - hit.at < (this.o.ttlMs ?? PEOPLE_TTL_MS)) return Promise.resolve(hit.name);
    // The same person named in three places of one report, or in two reports at once, is one call.
    const pending = this.asking.get(userId);
    if (pending) return pending;
    const ask = this.lookUp(userId)
      .then((name) => {
        this.cache.set(userId, { name, at: this.now() });
        return name;
      })
      .finally(() => this.asking.delete(userId));
    this.asking.set(userId, ask);
    return ask;
  }

  private async lookUp(userId: string): Promise<string | undefined> {
    let res: Info;
    try {
      res = await this.o.client.users.info({ user: userId });
    } catch (e) {
      // An id Slack does not know (an alert's, a test's) is an answer, kept like a name.
      if (slackError(e) === 'user_not_found') return undefined;
      throw new PeopleLookupError(slackError(e));
    }
    if (res.ok === false) {
      if (res.error === 'user_not_found') return undefined;
      throw new PeopleLookupError(res.error ?? 'request_failed');
    }
    return res.user ? nameFrom(res.user) : undefined;
  }
}
