import { deleteMessage, postEphemeral, postMessage, update } from './chat-api.js';
import { type ApiContext, type ApiHandler, toSlackMessage } from './context.js';
import { completeUploadExternal, getUploadURLExternal } from './files-api.js';
import { stringArg } from './http-util.js';
import type { LocalChannel, LocalUserGroup } from './types.js';
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

const userGroupObject = (g: LocalUserGroup, teamId: string, withUsers: boolean) => ({
  id: g.id,
  team_id: teamId,
  is_usergroup: true,
  name: g.name ?? g.handle,
  description: '',
  handle: g.handle,
  is_external: false,
  date_create: 0,
  date_update: 0,
  date_delete: 0,
  auto_type: null,
  prefs: { channels: [], groups: [] },
  user_count: g.users.length,
  ...(withUsers ? { users: [...g.users] } : {}),
});

const truthy = (v: unknown) => v === true || v === 'true' || v === '1' || v === 1;

const usergroupsList: ApiHandler = (args, ctx) => ({
  ok: true,
  usergroups: [...ctx.store.userGroups.values()].map((g) =>
    userGroupObject(g, ctx.workspace.teamId, truthy(args.include_users)),
  ),
});

const usergroupsUsersList: ApiHandler = (args, ctx) => {
  const group = ctx.store.userGroups.get(stringArg(args, 'usergroup') ?? '');
  return group ? { ok: true, users: [...group.users] } : slackError('no_such_subteam');
};

// Socket Mode's handshake is the one method that takes the app-level token, not the bot's.
const connectionsOpen: ApiHandler = (_args, ctx) =>
  ctx.socketUrl ? { ok: true, url: ctx.socketUrl() } : slackError('internal_error');

const APP_TOKEN_METHODS: Record<string, ApiHandler> = {
  'apps.connections.open': connectionsOpen,
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
  'usergroups.list': usergroupsList,
  'usergroups.users.list': usergroupsUsersList,
};

export const SUPPORTED_METHODS = [...Object.keys(METHODS), ...Object.keys(APP_TOKEN_METHODS)];

export interface Tokens {
  botToken: string;
  /** The app-level token (`xapp-…`); without one, Socket Mode cannot be opened. */
  appToken?: string | undefined;
}

/**
 * Runs one Web API method. The token comes from `Authorization: Bearer` or, as Slack also allows for
 * form bodies, a `token` argument. No token is `not_authed`; an unknown one is `invalid_auth`; a known
 * token of the wrong kind (the bot's for apps.connections.open, the app's for anything else) is
 * `not_allowed_token_type`. A method told to fail (`store.failMethod`) fails once the caller is known.
 */
export function callMethod(
  method: string,
  authorization: string | undefined,
  args: Record<string, unknown>,
  ctx: ApiContext,
  tokens: Tokens,
): SlackResult {
  const { token: bodyToken, ...rest } = args;
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
  const token = bearer ?? (typeof bodyToken === 'string' && bodyToken !== '' ? bodyToken : undefined);
  const kind =
    token === tokens.botToken ? 'bot' : tokens.appToken && token === tokens.appToken ? 'app' : undefined;
  const handler = (kind === 'app' ? APP_TOKEN_METHODS : METHODS)[method];
  const otherKind = (kind === 'app' ? METHODS : APP_TOKEN_METHODS)[method];
  const failure = ctx.store.failures.get(method);
  let result: SlackResult;
  if (token === undefined) result = slackError('not_authed');
  else if (!kind) result = slackError('invalid_auth');
  else if (failure !== undefined) result = slackError(failure);
  else if (handler) result = handler(rest, ctx);
  else result = slackError(otherKind ? 'not_allowed_token_type' : 'unknown_method');
  ctx.store.calls.push({
    method,
    args: rest,
    ok: result.ok,
    ...(result.ok ? {} : { error: result.error }),
  });
  return result;
}
