import { deleteMessage, postEphemeral, postMessage, update } from './chat-api.js';
import { type ApiContext, type ApiHandler, toSlackMessage } from './context.js';
import { completeUploadExternal, getUploadURLExternal } from './files-api.js';
import { stringArg } from './http-util.js';
import type { LocalChannel } from './types.js';
import { type SlackResult, slackError } from './types.js';

const authTest: ApiHandler = (_args, { workspace: w }) => ({
  ok: true,
  url: `https://${w.teamDomain}.slack.com/`,
  team: w.teamDomain,
  user: w.botName,
  team_id: w.teamId,
  user_id: w.botUserId,
  bot_id: w.botId,
  is_enterprise_install: false,
});

const channelObject = (c: LocalChannel) => ({
  id: c.id,
  name: c.name,
  is_channel: true,
  is_private: false,
  is_archived: false,
  is_member: true,
  created: c.created,
});

const conversationsInfo: ApiHandler = (args, ctx) => {
  const channel = ctx.store.channel(stringArg(args, 'channel') ?? '');
  return channel ? { ok: true, channel: channelObject(channel) } : slackError('channel_not_found');
};

const conversationsHistory: ApiHandler = (args, ctx) => {
  const channel = ctx.store.channel(stringArg(args, 'channel') ?? '');
  if (!channel) return slackError('channel_not_found');
  const messages = ctx.store
    .channelMessages(channel.id)
    .map((m) => toSlackMessage(m, ctx.workspace.teamId))
    .reverse(); // newest first, as Slack returns them
  return { ok: true, messages, has_more: false };
};

const conversationsReplies: ApiHandler = (args, ctx) => {
  const channel = ctx.store.channel(stringArg(args, 'channel') ?? '');
  if (!channel) return slackError('channel_not_found');
  const parent = ctx.store.message(channel.id, stringArg(args, 'ts') ?? '');
  if (!parent) return slackError('thread_not_found');
  const root = parent.thread_ts ?? parent.ts;
  const rootMessage = ctx.store.message(channel.id, root) ?? parent;
  const messages = [rootMessage, ...ctx.store.thread(channel.id, root)].map((m) =>
    toSlackMessage(m, ctx.workspace.teamId),
  );
  return { ok: true, messages, has_more: false };
};

const usersInfo: ApiHandler = (args, ctx) => {
  const user = ctx.store.user(stringArg(args, 'user') ?? '');
  if (!user) return slackError('user_not_found');
  const realName = user.realName ?? user.name;
  return {
    ok: true,
    user: {
      id: user.id,
      team_id: ctx.workspace.teamId,
      name: user.name,
      real_name: realName,
      is_bot: false,
      profile: { real_name: realName, display_name: user.name },
    },
  };
};

const METHODS: Record<string, ApiHandler> = {
  'auth.test': authTest,
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
  'chat.delete': deleteMessage,
  'conversations.info': conversationsInfo,
  'conversations.history': conversationsHistory,
  'conversations.replies': conversationsReplies,
  'users.info': usersInfo,
  'files.getUploadURLExternal': getUploadURLExternal,
  'files.completeUploadExternal': completeUploadExternal,
};

export const SUPPORTED_METHODS = Object.keys(METHODS);

/**
 * Runs one Web API method. The token comes from `Authorization: Bearer` or, as Slack also allows for
 * form bodies, a `token` argument. No token is `not_authed`; a wrong one is `invalid_auth`.
 */
export function callMethod(
  method: string,
  authorization: string | undefined,
  args: Record<string, unknown>,
  ctx: ApiContext,
  botToken: string,
): SlackResult {
  const { token: bodyToken, ...rest } = args;
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
  const token = bearer ?? (typeof bodyToken === 'string' && bodyToken !== '' ? bodyToken : undefined);
  const handler = METHODS[method];
  let result: SlackResult;
  if (token === undefined) result = slackError('not_authed');
  else if (token !== botToken) result = slackError('invalid_auth');
  else if (!handler) result = slackError('unknown_method');
  else result = handler(rest, ctx);
  ctx.store.calls.push({
    method,
    args: rest,
    ok: result.ok,
    ...(result.ok ? {} : { error: result.error }),
  });
  return result;
}
