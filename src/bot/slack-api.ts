// The few Web API calls the bot makes, behind one small interface, with redaction on the way out:
// whatever reaches Slack (text, blocks, files) passes through redact() with the known secrets first,
// and is bounded to Slack's limits. A message's top-level text is its notification fallback, built
// from findings and titles: it is escaped here as a whole, so no text from a target can ping anyone.
import type { webApi } from '@slack/bolt';
import { redact } from '../runbooks/redact.js';
import { type Block, boundText, escapeMrkdwn } from './blocks.js';

export interface SlackApi {
  post(m: { channel: string; text: string; blocks?: Block[]; threadTs?: string }): Promise<string>;
  update(m: { channel: string; ts: string; text: string; blocks: Block[] }): Promise<void>;
  ephemeral(m: { channel: string; user: string; text: string; threadTs?: string }): Promise<void>;
  upload(f: {
    channel: string;
    /** Absent: the file goes to the channel itself (an incident started outside Slack). */
    threadTs?: string;
    filename: string;
    title: string;
    content: string;
    comment: string;
  }): Promise<void>;
}

/** Redacts every string inside blocks, keeping their shape. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, secrets);
    return out as T;
  }
  return value;
}

export class WebSlackApi implements SlackApi {
  constructor(
    private readonly client: webApi.WebClient,
    private readonly secrets: () => readonly string[],
  ) {}

  private r = (s: string) => redact(s, this.secrets());
  private fallback = (s: string) => boundText(escapeMrkdwn(this.r(s)));
  private blocks = (b: Block[] | undefined) => (b ? { blocks: redactDeep(b, this.secrets()) } : {});

  async post(m: Parameters<SlackApi['post']>[0]): Promise<string> {
    const res = await this.client.chat.postMessage({
      channel: m.channel,
      text: this.fallback(m.text),
      ...this.blocks(m.blocks),
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
    });
    if (!res.ts) throw new Error('chat.postMessage returned no ts');
    return res.ts;
  }

  async update(m: Parameters<SlackApi['update']>[0]): Promise<void> {
    await this.client.chat.update({
      channel: m.channel,
      ts: m.ts,
      text: this.fallback(m.text),
      ...this.blocks(m.blocks),
    });
  }

  async ephemeral(m: Parameters<SlackApi['ephemeral']>[0]): Promise<void> {
    await this.client.chat.postEphemeral({
      channel: m.channel,
      user: m.user,
      text: boundText(this.r(m.text)),
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
    });
  }

  async upload(f: Parameters<SlackApi['upload']>[0]): Promise<void> {
    // files.uploadV2 is the external flow: getUploadURLExternal, the upload, completeUploadExternal.
    const common = {
      filename: f.filename,
      title: this.r(f.title),
      file: Buffer.from(this.r(f.content), 'utf8'),
      initial_comment: boundText(this.r(f.comment)),
    };
    await this.client.filesUploadV2(
      f.threadTs
        ? { ...common, channel_id: f.channel, thread_ts: f.threadTs }
        : { ...common, channel_id: f.channel },
    );
  }
}
