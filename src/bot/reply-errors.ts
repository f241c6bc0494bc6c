// What a person is told when a command fails: what actually happened, not a guess. A Slack refusal
// names Slack's reason, a lost connection to the bot's Redis says so, and anything else is said plainly.
import { escapeMrkdwn } from './blocks.js';

export const REDIS_DOWN_READ =
  ':warning: The bot cannot reach its Redis right now, so it cannot read or change incidents. Try again in a minute.';

/** Slack's error code when a Web API call was refused (`thread_not_found`, `channel_not_found`…). */
export function slackErrorOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const x = e as { code?: unknown; data?: { error?: unknown } };
  return x.code === 'slack_webapi_platform_error' && typeof x.data?.error === 'string'
    ? x.data.error
    : undefined;
}

function isRedisFailure(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return (
    /^(ReplyError|MaxRetriesPerRequestError|AbortError)$/.test(e.name) ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection is closed|Stream isn't writeable|enableOfflineQueue|no answer within/.test(
      e.message,
    )
  );
}

const SLACK_REASONS: Record<string, string> = {
  thread_not_found: 'the incident’s thread is gone from Slack',
  message_not_found: 'the incident’s message is gone from Slack',
  channel_not_found: 'the incident’s channel is gone, or the bot cannot see it',
  not_in_channel: 'the bot is not a member of the incident’s channel',
  is_archived: 'the incident’s channel is archived',
  ratelimited: 'Slack is rate-limiting the bot',
};

/** The reply for a command that threw; `what` names the command ("report", "status"). */
export function explainFailure(what: string, e: unknown): string {
  const slack = slackErrorOf(e);
  if (slack)
    return `:warning: The ${what} did not go through: ${SLACK_REASONS[slack] ?? 'Slack refused the call'} (Slack: \`${escapeMrkdwn(slack)}\`).`;
  if (isRedisFailure(e)) return REDIS_DOWN_READ;
  const message = e instanceof Error ? e.message : String(e);
  return `:warning: The ${what} failed: ${escapeMrkdwn(message.slice(0, 300))}.`;
}
