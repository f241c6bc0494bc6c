import type { IncomingMessage, ServerResponse } from 'node:http';

/** Generous for Markdown reports, small enough that a runaway client cannot fill the test's memory. */
const MAX_BODY = 20 * 1024 * 1024;

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw new BodyTooLarge(`body over ${MAX_BODY} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/**
 * Web API arguments from a JSON or an x-www-form-urlencoded body, as Slack accepts both. Form values
 * stay strings; fields that carry JSON (blocks, files) are decoded by `jsonArg`. Undefined when the
 * body cannot be read as either.
 */
export function parseArgs(contentType: string | undefined, raw: Buffer): Record<string, unknown> | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = raw.toString('utf8');
  if (type === 'application/json') {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') {
    return Object.fromEntries(new URLSearchParams(text));
  }
  return undefined;
}

/** A field that is JSON in a form body and already structured in a JSON body. */
export function jsonArg(args: Record<string, unknown>, key: string): { value?: unknown; invalid: boolean } {
  const v = args[key];
  if (v === undefined || v === '') return { invalid: false };
  if (typeof v !== 'string') return { value: v, invalid: false };
  try {
    return { value: JSON.parse(v) as unknown, invalid: false };
  } catch {
    return { invalid: true };
  }
}

export function stringArg(args: Record<string, unknown>, key: string): string | undefined {
  const v = args[key];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

export interface MultipartPart {
  name: string;
  filename?: string;
  data: Buffer;
}

/** Minimal multipart/form-data reader (RFC 7578): enough for what fetch's FormData produces. */
export function parseMultipart(contentType: string, raw: Buffer): MultipartPart[] | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let at = raw.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (raw.subarray(start, start + 2).toString() === '--') break; // closing delimiter
    const next = raw.indexOf(delimiter, start);
    if (next < 0) return undefined;
    // Each part: CRLF, headers, CRLF CRLF, data, CRLF before the next delimiter.
    const part = raw.subarray(start + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) return undefined;
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (name !== undefined)
      parts.push({
        name,
        ...(filename !== undefined ? { filename } : {}),
        data: part.subarray(headerEnd + 4),
      });
    at = next;
  }
  return parts;
}
