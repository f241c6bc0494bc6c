import { randomBytes } from 'node:crypto';
import { MAX_TEXT, postAsBot, readContent, resolveThread } from './chat-api.js';
import type { ApiHandler } from './context.js';
import { jsonArg, parseMultipart, stringArg } from './http-util.js';
import type { SlackStore } from './store.js';
import { type LocalFile, type LocalFileRef, slackError } from './types.js';

// Slack's external upload flow, in three calls:
// 1. files.getUploadURLExternal {filename, length} → {upload_url, file_id}
// 2. POST the bytes to upload_url. @slack/web-api 8 sends multipart/form-data with one part named
//    `body` (filename "Untitled"); curl-style clients send the raw bytes. Both are accepted. The URL is
//    a capability (unguessable), so like Slack's it needs no token.
// 3. files.completeUploadExternal {files: [{id, title}], channel_id?, thread_ts?, initial_comment?}
//    shares the file as a message in the channel or thread.

const MIME: Record<string, string> = {
  md: 'text/markdown',
  txt: 'text/plain',
  json: 'application/json',
  log: 'text/plain',
  csv: 'text/csv',
};

function mimetype(filename: string): string {
  const ext = filename.split('.').pop()?.toLowerCase() ?? '';
  return MIME[ext] ?? 'application/octet-stream';
}

let fileCounter = 0;

export const getUploadURLExternal: ApiHandler = (args, ctx) => {
  const filename = stringArg(args, 'filename');
  const length = Number(stringArg(args, 'length'));
  if (!filename) return slackError('invalid_arguments', ['[ERROR] missing required field: filename']);
  if (!Number.isInteger(length) || length <= 0)
    return slackError('invalid_arguments', ['[ERROR] missing required field: length']);
  const id = `F_LOCAL${String(++fileCounter).padStart(5, '0')}`;
  const key = randomBytes(12).toString('hex');
  const file: LocalFile = {
    id,
    filename,
    title: filename,
    declaredLength: length,
    uploadUrl: `${ctx.origin()}/upload/v1/${key}`,
    completed: false,
    shares: [],
  };
  ctx.store.files.set(id, file);
  ctx.store.changed('file');
  return { ok: true, upload_url: file.uploadUrl, file_id: id };
};

/**
 * Stores the bytes POSTed to an upload URL. Returns the HTTP status and text Slack's upload host
 * answers with ("OK - <bytes>"); an unknown URL is a 404.
 */
export function receiveUpload(
  store: SlackStore,
  url: string,
  contentType: string | undefined,
  raw: Buffer,
): { status: number; text: string } {
  const file = [...store.files.values()].find((f) => new URL(f.uploadUrl).pathname === url);
  if (!file || file.completed) return { status: 404, text: 'upload_url not found' };
  if ((contentType ?? '').toLowerCase().startsWith('multipart/form-data')) {
    const parts = parseMultipart(contentType ?? '', raw);
    const part = parts?.find((p) => p.filename !== undefined) ?? parts?.[0];
    if (!part) return { status: 400, text: 'no file in multipart body' };
    file.content = part.data;
    file.uploadedAs = 'multipart';
  } else {
    file.content = raw;
    file.uploadedAs = 'raw';
  }
  store.changed('file');
  return { status: 200, text: `OK - ${file.content.length}` };
}

function toRef(f: LocalFile): LocalFileRef {
  return {
    id: f.id,
    name: f.filename,
    title: f.title,
    mimetype: mimetype(f.filename),
    size: f.content?.length ?? 0,
  };
}

export const completeUploadExternal: ApiHandler = (args, ctx) => {
  const parsed = jsonArg(args, 'files');
  const entries = parsed.value;
  if (parsed.invalid || !Array.isArray(entries) || entries.length === 0)
    return slackError('invalid_arguments', [
      '[ERROR] files must be a non-empty JSON array [json-pointer:/files]',
    ]);
  const files: LocalFile[] = [];
  for (const entry of entries as unknown[]) {
    const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
    const file = typeof id === 'string' ? ctx.store.files.get(id) : undefined;
    // A file whose bytes never arrived cannot be completed: Slack reports it as not found.
    if (!file?.content || file.completed) return slackError('file_not_found');
    const title = (entry as { title?: unknown }).title;
    if (typeof title === 'string' && title !== '') file.title = title;
    files.push(file);
  }
  const channelArg = stringArg(args, 'channel_id');
  const channel = channelArg === undefined ? undefined : ctx.store.channel(channelArg);
  if (channelArg !== undefined && !channel) return slackError('channel_not_found');
  const comment = stringArg(args, 'initial_comment');
  // The comment becomes the share's message text, so it is held to the message text limit.
  if (comment !== undefined && comment.length > MAX_TEXT) return slackError('msg_too_long');
  // Slack ignores blocks when initial_comment is given.
  const content = comment !== undefined ? { text: comment } : readContent(args, true);
  if ('ok' in content) return content;
  let share: { channel: string; ts: string; thread_ts?: string } | undefined;
  if (channel) {
    const thread = resolveThread(ctx.store, channel.id, stringArg(args, 'thread_ts'));
    if (!thread.ok) return thread.error;
    const m = postAsBot(ctx, channel.id, { ...content, files: files.map(toRef) }, thread.threadTs);
    share = {
      channel: channel.id,
      ts: m.ts,
      ...(thread.threadTs !== undefined ? { thread_ts: thread.threadTs } : {}),
    };
  }
  for (const f of files) {
    f.completed = true;
    if (share) f.shares.push(share);
  }
  ctx.store.changed('file');
  return {
    ok: true,
    files: files.map((f) => ({
      ...toRef(f),
      ...(share
        ? {
            shares: {
              public: {
                [share.channel]: [
                  { ts: share.ts, ...(share.thread_ts ? { thread_ts: share.thread_ts } : {}) },
                ],
              },
            },
          }
        : {}),
    })),
  };
};

/** The stored bytes of a file as UTF-8, for tests and the demo's viewer. */
export function fileText(store: SlackStore, id: string): string | undefined {
  return store.files.get(id)?.content?.toString('utf8');
}
