import { randomBytes } from 'node:crypto';
import { postAsBot, readContent, updateMessage } from './chat-api.js';
import type { ApiContext } from './context.js';
import type { ResponseUrlPost } from './types.js';

// Slack's response_url: a per-request URL the app may POST JSON to, up to 5 times within 30 minutes.
// `response_type: in_channel` posts a visible message, the default is an ephemeral one for the user who
// acted; for a button click, `replace_original: true` rewrites the message the button was on and
// `delete_original: true` removes it.

const MAX_USES = 5;
const TTL_MS = 30 * 60 * 1000;

interface Target {
  id: string;
  origin: ResponseUrlPost['origin'];
  channel: string;
  user: string;
  messageTs?: string;
  uses: number;
  expiresAt: number;
}

export class ResponseUrls {
  private readonly targets = new Map<string, Target>();

  constructor(private readonly ctx: ApiContext) {}

  /** A fresh URL for one slash command or interaction. */
  create(origin: Target['origin'], channel: string, user: string, messageTs?: string): string {
    const id = randomBytes(12).toString('hex');
    this.targets.set(id, {
      id,
      origin,
      channel,
      user,
      ...(messageTs !== undefined ? { messageTs } : {}),
      uses: 0,
      expiresAt: Date.now() + TTL_MS,
    });
    const kind = origin === 'slash_command' ? 'commands' : 'actions';
    return `${this.ctx.origin()}/${kind}/${this.ctx.workspace.teamId}/${id}`;
  }

  /** Handles a POST to `/commands/T/ID` or `/actions/T/ID`; returns the HTTP status and text body. */
  handle(id: string, body: Record<string, unknown> | undefined): { status: number; text: string } {
    const t = this.targets.get(id);
    if (!t || Date.now() > t.expiresAt) return { status: 404, text: 'expired_url' };
    if (t.uses >= MAX_USES) return { status: 404, text: 'used_url' };
    t.uses += 1;
    if (!body) return this.record(t, {}, 'rejected', 'invalid_payload');
    const { store } = this.ctx;
    const original = t.messageTs !== undefined ? store.message(t.channel, t.messageTs) : undefined;
    if (body.delete_original === true) {
      if (!original) return this.record(t, body, 'rejected', 'message_not_found');
      store.remove(t.channel, original.ts);
      return this.record(t, body, 'deleted');
    }
    const content = readContent(body, body.replace_original === true);
    if ('ok' in content) return this.record(t, body, 'rejected', content.error);
    if (body.replace_original === true) {
      if (!original) return this.record(t, body, 'rejected', 'message_not_found');
      updateMessage(this.ctx, original, content);
      return this.record(t, body, 'replaced');
    }
    const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : undefined;
    if (body.response_type === 'in_channel') {
      postAsBot(this.ctx, t.channel, content, threadTs);
      return this.record(t, body, 'in_channel');
    }
    store.ephemerals.push({
      channel: t.channel,
      user: t.user,
      message_ts: store.nextTs(),
      ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
      text: content.text ?? '',
      ...(content.blocks ? { blocks: content.blocks } : {}),
      via: 'response_url',
    });
    return this.record(t, body, 'ephemeral');
  }

  private record(
    t: Target,
    body: Record<string, unknown>,
    outcome: ResponseUrlPost['outcome'],
    error?: string,
  ): { status: number; text: string } {
    this.ctx.store.responses.push({
      id: t.id,
      origin: t.origin,
      channel: t.channel,
      user: t.user,
      ...(t.messageTs !== undefined ? { messageTs: t.messageTs } : {}),
      body,
      outcome,
      ...(error !== undefined ? { error } : {}),
    });
    this.ctx.store.changed('response');
    return error === undefined ? { status: 200, text: 'ok' } : { status: 400, text: error };
  }
}
