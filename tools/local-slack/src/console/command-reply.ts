import { postAsBot, readContent } from '../chat-api.js';
import type { ApiContext } from '../context.js';
import type { BotReply } from '../signing.js';

// What Slack does with the app's answer to a slash command: an empty 200 shows nothing; a body is a
// message for the person who typed the command (ephemeral), or for the channel with
// `response_type: in_channel`; a failure or an answer after 3 seconds shows Slackbot's error line.

/** Slack gives up on an app that has not answered within this long. */
export const ACK_DEADLINE_MS = 3000;

export function deliverCommandReply(
  ctx: ApiContext,
  at: { user: string; channel: string; command: string },
  reply: BotReply | { error: string },
): void {
  const slackbot = (text: string) => {
    ctx.store.ephemerals.push({
      channel: at.channel,
      user: at.user,
      message_ts: ctx.store.nextTs(),
      text,
      via: 'slackbot',
    });
    ctx.store.changed('ephemeral');
  };
  const failed = (code: string, detail: string) =>
    slackbot(`${at.command} failed with the error "${code}" (local Slack: ${detail})`);

  if ('error' in reply) {
    failed('dispatch_failed', reply.error);
    return;
  }
  if (reply.elapsedMs > ACK_DEADLINE_MS) {
    failed('operation_timeout', `the app answered after ${reply.elapsedMs} ms`);
    return;
  }
  if (reply.status !== 200) {
    failed('dispatch_failed', `the app answered HTTP ${reply.status}`);
    return;
  }
  if (reply.body.trim() === '') return;

  const body =
    typeof reply.json === 'object' && reply.json !== null && !Array.isArray(reply.json)
      ? (reply.json as Record<string, unknown>)
      : { text: reply.body };
  const content = readContent(body);
  if ('ok' in content) {
    const problems = content.response_metadata?.messages.join('\n') ?? '';
    failed(content.error, `the app's answer was refused${problems ? `:\n${problems}` : ''}`);
    return;
  }
  if (body.response_type === 'in_channel') {
    postAsBot(ctx, at.channel, content);
    return;
  }
  ctx.store.ephemerals.push({
    channel: at.channel,
    user: at.user,
    message_ts: ctx.store.nextTs(),
    text: content.text ?? '',
    ...(content.blocks ? { blocks: content.blocks } : {}),
    via: 'command_reply',
  });
  ctx.store.changed('ephemeral');
}
