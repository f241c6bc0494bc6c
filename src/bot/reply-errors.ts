// What a person is told when a command fails: what actually happened, not a guess. A Slack refusal
// names Slack's reason, a Slack that could not be reached says so, the bot's Redis is named only when
// it really is Redis (an error of the Redis client, or Redis not answering a ping made after the
// failure), and anything else is said plainly.
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

/** The Web API client's own failures: Slack not reached, an HTTP error, rate limiting. */
function slackTransportOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('slack_') || code === 'slack_webapi_platform_error')
    return undefined;
  const message = e instanceof Error ? e.message : code;
  if (code === 'slack_webapi_rate_limited') return 'Slack is rate-limiting the bot';
  if (code === 'slack_webapi_http_error') return `Slack answered with an HTTP error (${message})`;
  return `the bot could not reach Slack (${message})`;
}

/** The Redis client lost its connection: this one is Redis, whatever a ping says. */
function isRedisConnectionFailure(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return (
    e.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|Stream isn't writeable|enableOfflineQueue/.test(e.message)
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

/** Why a Slack call failed, in words, or undefined when the error is not Slack's. */
export function slackReason(e: unknown): string | undefined {
  const slack = slackErrorOf(e);
  if (slack) return `${SLACK_REASONS[slack] ?? 'Slack refused the call'} (Slack: \`${escapeMrkdwn(slack)}\`)`;
  const transport = slackTransportOf(e);
  return transport === undefined ? undefined : escapeMrkdwn(transport.slice(0, 300));
}

/**
 * The reply for a command that threw; `what` names the command ("report", "status"). `redisAnswers`
 * is a ping of the bot's Redis made after the failure: absent, only the Redis client's own errors
 * name Redis.
 */
export function explainFailure(what: string, e: unknown, redisAnswers?: boolean): string {
  const slack = slackReason(e);
  if (slack) return `:warning: The ${what} did not go through: ${slack}.`;
  if (isRedisConnectionFailure(e) || redisAnswers === false) return REDIS_DOWN_READ;
  const message = e instanceof Error ? e.message : String(e);
  // Redis answered, and refused the command (OOM, READONLY, MISCONF of the bot's own Redis).
  if (e instanceof Error && e.name === 'ReplyError')
    return `:warning: The ${what} failed: the bot's Redis refused it (${escapeMrkdwn(message.slice(0, 300))}).`;
  return `:warning: The ${what} failed: ${escapeMrkdwn(message.slice(0, 300))}.`;
}
