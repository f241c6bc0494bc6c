import { randomBytes } from 'node:crypto';
import { type ApiContext, toSlackMessage } from './context.js';
import type { ResponseUrls } from './response-urls.js';
import type { LocalChannel, LocalMessage, LocalUser } from './types.js';

// The requests Slack sends to an app, field for field. Over HTTP a slash command is an
// x-www-form-urlencoded body and an interaction is one form field, `payload`, holding JSON; over Socket
// Mode the same fields are an envelope's `payload` object.

export interface SlashCommandInput {
  userId: string;
  channelId: string;
  text: string;
  command?: string;
}

export interface ClickInput {
  userId: string;
  channelId: string;
  messageTs: string;
  actionId: string;
  /** Which block, when several hold the same action_id. */
  blockId?: string;
  /** Send this value instead of the button's (a tampered or stale client). */
  value?: string;
  /**
   * Send the click even though no such button is on the message (any more): what a replayed or stale
   * click looks like. Needs `blockId` and `value`.
   */
  allowStale?: boolean;
}

function lookup(ctx: ApiContext, userId: string, channelId: string): [LocalUser, LocalChannel] {
  const user = ctx.store.user(userId);
  const channel = ctx.store.channel(channelId);
  // A test naming someone or somewhere that does not exist is a bug in the test: say so loudly.
  if (!user) throw new Error(`local Slack: no user ${userId} in the directory`);
  if (!channel) throw new Error(`local Slack: no channel ${channelId}`);
  return [user, channel];
}

const triggerId = () => `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString('hex')}`;

function actionTs(): string {
  const micros = Date.now() * 1000;
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
}

/** A slash command's fields: every value a string, as in the form body. */
export function slashCommandFields(
  ctx: ApiContext,
  urls: ResponseUrls,
  input: SlashCommandInput,
): Record<string, string> {
  const [user, channel] = lookup(ctx, input.userId, input.channelId);
  const w = ctx.workspace;
  return {
    token: w.verificationToken,
    team_id: w.teamId,
    team_domain: w.teamDomain,
    channel_id: channel.id,
    channel_name: channel.name,
    user_id: user.id,
    user_name: user.name,
    command: input.command ?? '/incident',
    text: input.text,
    api_app_id: w.appId,
    is_enterprise_install: 'false',
    response_url: urls.create('slash_command', channel.id, user.id),
    trigger_id: triggerId(),
  };
}

export function slashCommandBody(ctx: ApiContext, urls: ResponseUrls, input: SlashCommandInput): string {
  return new URLSearchParams(slashCommandFields(ctx, urls, input)).toString();
}

interface Button {
  blockId: string;
  text: string;
  value?: string;
}

/** Finds a button by action_id (and block_id) in an actions block or a section accessory. */
export function findButton(m: LocalMessage, actionId: string, blockId?: string): Button | undefined {
  for (const block of (m.blocks ?? []) as Record<string, unknown>[]) {
    if (blockId !== undefined && block.block_id !== blockId) continue;
    const candidates = [...(Array.isArray(block.elements) ? block.elements : []), block.accessory];
    for (const e of candidates as (Record<string, unknown> | undefined)[]) {
      if (e?.type !== 'button' || e.action_id !== actionId) continue;
      const text = (e.text as { text?: unknown } | undefined)?.text;
      return {
        blockId: String(block.block_id),
        text: typeof text === 'string' ? text : '',
        ...(typeof e.value === 'string' ? { value: e.value } : {}),
      };
    }
  }
  return undefined;
}

/** The block_actions payload object of a click. */
export function blockActionsPayload(
  ctx: ApiContext,
  urls: ResponseUrls,
  input: ClickInput,
): Record<string, unknown> {
  const [user, channel] = lookup(ctx, input.userId, input.channelId);
  const message = ctx.store.message(channel.id, input.messageTs);
  if (!message) throw new Error(`local Slack: no message ${input.messageTs} in ${channel.id}`);
  const found = findButton(message, input.actionId, input.blockId);
  if (!found && !(input.allowStale && input.blockId !== undefined && input.value !== undefined))
    throw new Error(`local Slack: no button ${input.actionId} on message ${input.messageTs}`);
  const button: Button = found ?? { blockId: input.blockId ?? '', text: '' };
  const value = input.value ?? button.value;
  const w = ctx.workspace;
  return {
    type: 'block_actions',
    user: { id: user.id, username: user.name, name: user.name, team_id: w.teamId },
    api_app_id: w.appId,
    token: w.verificationToken,
    container: { type: 'message', message_ts: message.ts, channel_id: channel.id, is_ephemeral: false },
    trigger_id: triggerId(),
    team: { id: w.teamId, domain: w.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel.id, name: channel.name },
    message: { ...toSlackMessage(message, w.teamId), app_id: w.appId },
    state: { values: {} },
    response_url: urls.create('block_actions', channel.id, user.id, message.ts),
    actions: [
      {
        action_id: input.actionId,
        block_id: button.blockId,
        text: { type: 'plain_text', text: button.text, emoji: true },
        ...(value !== undefined ? { value } : {}),
        type: 'button',
        action_ts: actionTs(),
      },
    ],
  };
}

export function blockActionsBody(ctx: ApiContext, urls: ResponseUrls, input: ClickInput): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionsPayload(ctx, urls, input)) }).toString();
}
