import { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { OutputCapture, ResultParts } from './output.js';

/** How the engine answered a failed call, in the terms the runbooks care about. */
export interface EngineFailure {
  kind: 'missing' | 'stopped' | 'down' | 'other';
  message: string;
  statusCode?: number;
}

interface DockerishError {
  statusCode?: unknown;
  code?: unknown;
  json?: unknown;
  reason?: unknown;
  message?: unknown;
}

const ENGINE_DOWN_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

function engineMessage(e: DockerishError): string {
  const json = e.json;
  if (json && typeof json === 'object' && 'message' in json && typeof json.message === 'string') {
    return json.message;
  }
  if (typeof json === 'string' && json.trim()) return json.trim();
  return typeof e.message === 'string' ? e.message : String(e);
}

export function classifyEngineError(err: unknown): EngineFailure {
  const e = (err && typeof err === 'object' ? err : { message: String(err) }) as DockerishError;
  const message = engineMessage(e).slice(0, 300);
  const statusCode = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const withCode = statusCode !== undefined ? { statusCode } : {};
  if (typeof e.code === 'string' && ENGINE_DOWN_CODES.has(e.code)) {
    return { kind: 'down', message: `container engine unreachable (${e.code})`, ...withCode };
  }
  if (statusCode === 404 && /no such container|container.*not found|no container with/i.test(message)) {
    return { kind: 'missing', message, ...withCode };
  }
  // Docker says "is not running"; Podman says "container state improper".
  if (/not running|state improper|is paused|is restarting/i.test(message)) {
    return { kind: 'stopped', message, ...withCode };
  }
  return { kind: 'other', message, ...withCode };
}

/** Result fields for a container we could not act in: it is absent, stopped, or the engine is down. */
export function unreachableParts(container: string, f: EngineFailure): ResultParts {
  const what =
    f.kind === 'missing'
      ? `no such container: ${container}`
      : f.kind === 'stopped'
        ? `container ${container} is not running`
        : f.kind === 'down'
          ? f.message
          : `container engine error: ${f.message}`;
  return { unreachable: true, error: what };
}

/** Splits Docker's multiplexed stream into stdout and stderr; waits until the stream has ended. */
export function demuxInto(
  modem: Dockerode['modem'],
  stream: NodeJS.ReadableStream,
  out: OutputCapture,
  err: OutputCapture,
): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
    modem.demuxStream(stream, out.writable(), err.writable());
  });
}

/** `logs({follow:false})` resolves to a Buffer (multiplexed unless the container has a TTY). */
export function demuxLogs(
  modem: Dockerode['modem'],
  logs: Buffer | NodeJS.ReadableStream,
  out: OutputCapture,
  err: OutputCapture,
): Promise<void> {
  const stream = Buffer.isBuffer(logs) ? Readable.from([logs]) : logs;
  return demuxInto(modem, stream, out, err);
}
