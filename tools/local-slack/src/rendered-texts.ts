import { jsonArg } from './http-util.js';
import { type Mention, mentionsIn } from './mentions.js';
import type { SlackStore } from './store.js';

// Every piece of text the bot had Slack render, wherever it went, for tests that assert no text from
// a target (a hostname, a log line) turned into a ping or a link. It is read from what the bot sent
// (the API call log, response_url posts, slash command answers) rather than from the messages as they
// are now, so text that was later edited or deleted is still checked.

export interface RenderedText {
  /** How it reached Slack. */
  source:
    | 'chat.postMessage'
    | 'chat.update'
    | 'chat.postEphemeral'
    | 'files.completeUploadExternal'
    | 'response_url'
    | 'command_reply';
  /** The channel (id or name, as the bot gave it) when known. */
  channel?: string;
  /** Where in the payload, e.g. `text`, `blocks[1].text`, `blocks[2].elements[0].text`. */
  path: string;
  /** mrkdwn is where Slack reads mentions and links; plain_text shows its characters as they are. */
  format: 'mrkdwn' | 'plain_text';
  text: string;
}

const CHAT = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral']);
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A rich_text element that mentions or links, written as the mrkdwn Slack would render it as. */
function richText(node: Json): string | undefined {
  switch (node.type) {
    case 'broadcast':
      return typeof node.range === 'string' ? `<!${node.range}>` : undefined;
    case 'user':
      return typeof node.user_id === 'string' ? `<@${node.user_id}>` : undefined;
    case 'usergroup':
      return typeof node.usergroup_id === 'string' ? `<!subteam^${node.usergroup_id}>` : undefined;
    case 'channel':
      return typeof node.channel_id === 'string' ? `<#${node.channel_id}>` : undefined;
    case 'link':
      return typeof node.url === 'string' ? `<${node.url}>` : undefined;
    default:
      return undefined;
  }
}

/** Text objects (and rich_text mentions) anywhere inside blocks. */
function walk(
  node: unknown,
  path: string,
  out: { path: string; format: RenderedText['format']; text: string }[],
) {
  if (Array.isArray(node)) {
    for (const [i, child] of node.entries()) walk(child, `${path}[${i}]`, out);
    return;
  }
  if (!isObject(node)) return;
  if ((node.type === 'mrkdwn' || node.type === 'plain_text') && typeof node.text === 'string') {
    out.push({ path, format: node.type, text: node.text });
    return;
  }
  const rich = richText(node);
  if (rich !== undefined) {
    out.push({ path, format: 'mrkdwn', text: rich });
    return;
  }
  // Literal text inside rich_text is never parsed for control sequences.
  if (node.type === 'text' && typeof node.text === 'string') {
    out.push({ path, format: 'plain_text', text: node.text });
    return;
  }
  for (const [key, value] of Object.entries(node)) walk(value, path ? `${path}.${key}` : key, out);
}

function fromContent(
  body: Json,
  base: Omit<RenderedText, 'path' | 'format' | 'text'>,
  { textKey = 'text', blocks = true } = {},
): RenderedText[] {
  const out: RenderedText[] = [];
  const text = body[textKey];
  // `mrkdwn: false` asks Slack to show the top-level text as it is.
  const plain = body.mrkdwn === false || body.mrkdwn === 'false';
  if (typeof text === 'string' && text !== '')
    out.push({ ...base, path: textKey, format: plain ? 'plain_text' : 'mrkdwn', text });
  const found: { path: string; format: RenderedText['format']; text: string }[] = [];
  if (blocks) walk(jsonArg(body, 'blocks').value, 'blocks', found);
  for (const f of found) out.push({ ...base, ...f });
  return out;
}

const channelOf = (args: Json): { channel?: string } => {
  const c = args.channel ?? args.channel_id;
  return typeof c === 'string' ? { channel: c } : {};
};

export function renderedTexts(store: SlackStore): RenderedText[] {
  const out: RenderedText[] = [];
  for (const call of store.calls) {
    if (!call.ok) continue;
    if (CHAT.has(call.method)) {
      const source = call.method as RenderedText['source'];
      out.push(...fromContent(call.args, { source, ...channelOf(call.args) }));
    } else if (call.method === 'files.completeUploadExternal') {
      const base = { source: 'files.completeUploadExternal' as const, ...channelOf(call.args) };
      // Slack ignores blocks when initial_comment is given, as files-api.ts does.
      const comment = call.args.initial_comment;
      out.push(
        ...(typeof comment === 'string' && comment !== ''
          ? fromContent(call.args, base, { textKey: 'initial_comment', blocks: false })
          : fromContent(call.args, base)),
      );
    }
  }
  for (const r of store.responses) {
    if (r.outcome === 'rejected' || r.outcome === 'deleted') continue;
    out.push(...fromContent(r.body, { source: 'response_url', channel: r.channel }));
  }
  for (const r of store.commandReplies) {
    if (r.status !== 200 || r.body.trim() === '') continue;
    const base = { source: 'command_reply' as const, channel: r.channel };
    out.push(...(isObject(r.json) ? fromContent(r.json, base) : fromContent({ text: r.body }, base)));
  }
  return out;
}

/** Every mention or link in what the bot had rendered as mrkdwn, with where it came from. */
export function renderedMentions(store: SlackStore): (RenderedText & { mention: Mention })[] {
  return renderedTexts(store)
    .filter((t) => t.format === 'mrkdwn')
    .flatMap((t) => mentionsIn(t.text).map((mention) => ({ ...t, mention })));
}
