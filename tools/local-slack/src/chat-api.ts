import { validateBlocks, withIds } from './block-kit.js';
import { type ApiContext, type ApiHandler, toSlackMessage } from './context.js';
import { jsonArg, stringArg } from './http-util.js';
import type { SlackStore } from './store.js';
import { type LocalMessage, type SlackError, slackError } from './types.js';

/** Slack refuses message text beyond this many characters. */
export const MAX_TEXT = 40_000;

interface Content {
  text?: string;
  blocks?: unknown[];
}

/**
 * The message content rules chat.postMessage, chat.update, chat.postEphemeral and response_url share:
 * blocks must be a JSON array that passes Block Kit validation, text must fit, and a message needs one
 * of the two (unless `optional`, as in chat.update where absent fields keep their old value).
 */
export function readContent(args: Record<string, unknown>, optional = false): Content | SlackError {
  const text = typeof args.text === 'string' ? args.text : undefined;
  const blocks = jsonArg(args, 'blocks');
  if (blocks.invalid || (blocks.value !== undefined && !Array.isArray(blocks.value)))
    return slackError('invalid_blocks_format', [
      '[ERROR] blocks must be a JSON array [json-pointer:/blocks]',
    ]);
  if (blocks.value !== undefined) {
    const problems = validateBlocks(blocks.value);
    if (problems.length > 0) return slackError('invalid_blocks', problems);
  }
  if (text !== undefined && text.length > MAX_TEXT) return slackError('msg_too_long');
  const hasBlocks = Array.isArray(blocks.value) && blocks.value.length > 0;
  if (!optional && !text && !hasBlocks) return slackError('no_text');
  return {
    ...(text !== undefined ? { text } : {}),
    ...(Array.isArray(blocks.value) ? { blocks: withIds(blocks.value) } : {}),
  };
}

const isError = (v: object): v is SlackError => 'ok' in v && v.ok === false;

/** A thread_ts must name a message in the channel; a reply's ts is taken to mean its thread's parent. */
export function resolveThread(store: SlackStore, channel: string, threadTs: string | undefined) {
  if (threadTs === undefined) return { ok: true as const };
  const parent = store.message(channel, threadTs);
  if (!parent) return { ok: false as const, error: slackError('thread_not_found') };
  return { ok: true as const, threadTs: parent.thread_ts ?? parent.ts };
}

/** Posts as the bot; shared by chat.postMessage, file shares and in_channel response_url posts. */
export function postAsBot(
  ctx: ApiContext,
  channel: string,
  content: Content & { files?: LocalMessage['files'] },
  threadTs?: string,
): LocalMessage {
  return ctx.store.append({
    type: 'message',
    channel,
    ts: ctx.store.nextTs(),
    ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
    user: ctx.workspace.botUserId,
    bot_id: ctx.workspace.botId,
    text: content.text ?? '',
    ...(content.blocks ? { blocks: content.blocks } : {}),
    ...(content.files ? { files: content.files } : {}),
  });
}

export const postMessage: ApiHandler = (args, ctx) => {
  const channel = ctx.store.channel(stringArg(args, 'channel') ?? '');
  if (!channel) return slackError('channel_not_found');
  const content = readContent(args);
  if (isError(content)) return content;
  const thread = resolveThread(ctx.store, channel.id, stringArg(args, 'thread_ts'));
  if (!thread.ok) return thread.error;
  const m = postAsBot(ctx, channel.id, content, thread.threadTs);
  return { ok: true, channel: channel.id, ts: m.ts, message: toSlackMessage(m, ctx.workspace.teamId) };
};

/** Replaces text and/or blocks of one of the bot's messages; absent fields keep their value, as in Slack. */
export function updateMessage(ctx: ApiContext, m: LocalMessage, content: Content): void {
  if (content.text !== undefined) m.text = content.text;
  if (content.blocks !== undefined) {
    if (content.blocks.length > 0) m.blocks = content.blocks;
    else delete m.blocks;
  }
  m.edited = { user: ctx.workspace.botUserId, ts: ctx.store.nextTs() };
  ctx.store.changed('message');
}

export const update: ApiHandler = (args, ctx) => {
  const channel = ctx.store.channel(stringArg(args, 'channel') ?? '');
  if (!channel) return slackError('channel_not_found');
  const m = ctx.store.message(channel.id, stringArg(args, 'ts') ?? '');
  if (!m) return slackError('message_not_found');
  if (m.user !== ctx.workspace.botUserId) return slackError('cant_update_message');
  const content = readContent(args, true);
  if (isError(content)) return content;
  if (content.text === undefined && content.blocks === undefined) return slackError('no_text');
  updateMessage(ctx, m, content);
  return {
    ok: true,
    channel: channel.id,
    ts: m.ts,
    text: m.text,
    message: toSlackMessage(m, ctx.workspace.teamId),
  };
};

export const postEphemeral: ApiHandler = (args, ctx) => {
  const channel = ctx.store.channel(stringArg(args, 'channel') ?? '');
  if (!channel) return slackError('channel_not_found');
  const user = stringArg(args, 'user');
  if (!user || !ctx.store.user(user)) return slackError('user_not_found');
  const content = readContent(args);
  if (isError(content)) return content;
  const thread = resolveThread(ctx.store, channel.id, stringArg(args, 'thread_ts'));
  if (!thread.ok) return thread.error;
  const messageTs = ctx.store.nextTs();
  ctx.store.ephemerals.push({
    channel: channel.id,
    user,
    message_ts: messageTs,
    ...(thread.threadTs !== undefined ? { thread_ts: thread.threadTs } : {}),
    text: content.text ?? '',
    ...(content.blocks ? { blocks: content.blocks } : {}),
    via: 'chat.postEphemeral',
  });
  ctx.store.changed('ephemeral');
  return { ok: true, message_ts: messageTs };
};

export const deleteMessage: ApiHandler = (args, ctx) => {
  const channel = ctx.store.channel(stringArg(args, 'channel') ?? '');
  if (!channel) return slackError('channel_not_found');
  const ts = stringArg(args, 'ts') ?? '';
  const m = ctx.store.message(channel.id, ts);
  if (!m) return slackError('message_not_found');
  if (m.user !== ctx.workspace.botUserId) return slackError('cant_delete_message');
  ctx.store.remove(channel.id, ts);
  return { ok: true, channel: channel.id, ts };
};
