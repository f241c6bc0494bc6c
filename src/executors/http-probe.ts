// A client's health check fetched by the worker itself (`fromWorker`): the same reading as curl's
// `-w '\n%{http_code}'` (the body, then the status on a line of its own), so one analyzer reads both.
// No redirect is followed: a health endpoint that redirects answers with its 3xx.
import type { ExecResult } from '../runbooks/result.js';
import type { RunOptions } from './executor.js';

export async function httpGet(url: string, opts: RunOptions, maxBytes: number): Promise<ExecResult> {
  const started = Date.now();
  const timer = new AbortController();
  const stop = setTimeout(() => timer.abort(), opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timer.signal]) : timer.signal;
  const done = (r: Partial<ExecResult>): ExecResult => ({
    exitCode: 0,
    stdout: '',
    stderr: '',
    durationMs: Date.now() - started,
    timedOut: false,
    unreachable: false,
    truncated: false,
    ...r,
  });
  try {
    const res = await fetch(url, { redirect: 'manual', signal });
    let body = '';
    let truncated = false;
    const decoder = new TextDecoder();
    const reader = res.body?.getReader();
    for (let part = await reader?.read(); reader && part && !part.done; part = await reader.read()) {
      body += decoder.decode(part.value, { stream: true });
      if (body.length > maxBytes) {
        truncated = true;
        // The rest of a huge body is not read: the cap is what the analyzer gets anyway.
        await reader.cancel();
        break;
      }
    }
    return done({ stdout: `${body.slice(0, maxBytes)}\n${res.status}\n`, truncated });
  } catch (e) {
    if (timer.signal.aborted)
      return done({ exitCode: null, timedOut: true, stderr: `no answer from ${url}` });
    // fetch hides the socket's error (ECONNREFUSED, ENOTFOUND…) in its cause.
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = [cause?.code, cause?.message ?? (e as Error).message].filter(Boolean).join(' ');
    return done({ exitCode: 7, stderr: `health check error: ${why}` });
  } finally {
    clearTimeout(stop);
  }
}
