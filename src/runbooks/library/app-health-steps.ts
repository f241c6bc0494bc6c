// The application's side (seeds 000, 002, 004): each client that declares a health check in the
// targets file has it fetched from inside its own container. The URL is always one argv element of
// an HTTP tool the image has, never part of a shell script: the image's tool is found first by a
// fixed script that reads no input, then the health check runs that tool directly.
import type { Action } from '../action.js';
import type { ClientHealth } from '../client-health.js';
import type { Analysis, Finding, StepContext } from '../model.js';
import type { ExecResult } from '../result.js';
import { allOutput } from '../result.js';
import { clientPlace } from './client-steps.js';
import { couldNotRun, diagnose } from './common-steps.js';
import { clientFact, str } from './facts.js';

const T = 15_000;
/** The tool's own limit stays under the step's, so a slow app is read as slow, not as unread. */
const HTTP_TIMEOUT_S = 10;
/** How much of a body evidence shows, escaped: enough for {"redis_connection":"error"}. */
export const BODY_SHOWN = 200;

export const HTTP_TOOLS = ['curl', 'wget', 'node', 'python3'] as const;
export type HttpTool = (typeof HTTP_TOOLS)[number];
/** An HTTP tool in the client, or the worker itself when the targets file allows it (`fromWorker`). */
export type HealthTool = HttpTool | 'worker';

// Reads nothing from the target or the targets file: which of the tools is on PATH, first wins.
// curl first: it prints the body of an error response too, which is the evidence.
export const DETECT_SCRIPT = `for t in ${HTTP_TOOLS.join(' ')}; do if command -v "$t" >/dev/null 2>&1; then echo "$t"; exit 0; fi; done; echo none`;

// Fixed one-liners for images with no curl or wget: the URL is process.argv[1] / sys.argv[1]. Both
// print the body (first 64 KiB), a newline and the status, as curl's -w does; a connection error
// goes to stderr with exit 2. (Node's process object comes from require: the core names no globals.)
export const NODE_SCRIPT = [
  "const {argv,stdout,stderr,exit}=require('process');",
  "const u=argv[1];const m=require(u.startsWith('https:')?'https':'http');",
  `const q=m.get(u,{timeout:${HTTP_TIMEOUT_S * 1000}},(r)=>{let b='';r.setEncoding('utf8');`,
  "r.on('data',(c)=>{if(b.length<65536)b+=c});r.on('end',()=>stdout.write(b+'\\n'+r.statusCode+'\\n'))});",
  "q.on('timeout',()=>q.destroy(new Error('timed out')));",
  "q.on('error',(e)=>{stderr.write('health check error: '+e.message+'\\n');exit(2)});",
].join('');
export const PYTHON_SCRIPT = [
  'import sys, urllib.request, urllib.error',
  'try:',
  `    r = urllib.request.urlopen(sys.argv[1], timeout=${HTTP_TIMEOUT_S}); c = r.status; b = r.read(65536)`,
  'except urllib.error.HTTPError as e:',
  '    c = e.code; b = e.read(65536)',
  'except Exception as e:',
  "    sys.stderr.write('health check error: %s\\n' % e); sys.exit(2)",
  "sys.stdout.write(b.decode('utf-8', 'replace') + '\\n' + str(c) + '\\n')",
].join('\n');

/** The argv that fetches `url` with `tool`; the URL is its own element, last. */
export function healthArgv(tool: HttpTool, url: string): string[] {
  switch (tool) {
    case 'curl':
      return ['curl', '-sS', '-o', '-', '-w', '\\n%{http_code}', '--max-time', String(HTTP_TIMEOUT_S), url];
    case 'wget':
      // No -T: Debian's busybox 1.35 wget crashes with it; the step's own timeout bounds the fetch.
      return ['wget', '-q', '-S', '-O', '-', url];
    case 'node':
      return ['node', '-e', NODE_SCRIPT, url];
    case 'python3':
      return ['python3', '-c', PYTHON_SCRIPT, url];
  }
}

export const healthOf = (ctx: StepContext): ClientHealth | undefined =>
  ctx.target.clients.find((c) => c.name === ctx.item)?.health;

const isTool = (s: string | undefined): s is HealthTool =>
  s === 'worker' || (HTTP_TOOLS as readonly string[]).includes(s ?? '');

/** The health check's action for this client, once its tool is known; null until then. */
export function healthAction(ctx: StepContext): Action | null {
  const place = clientPlace(ctx);
  const health = healthOf(ctx);
  const tool = ctx.item === undefined ? undefined : str(ctx.facts, clientFact(ctx.item, 'httpTool'));
  if (!place || !health || !isTool(tool)) return null;
  if (tool === 'worker') return { kind: 'http-get', place, url: health.url };
  return { kind: 'exec', place, argv: healthArgv(tool, health.url) };
}

export const httpToolStep = diagnose({
  id: 'client-http-tool',
  title: 'HTTP tool in the client for its health check',
  forEach: 'health-client',
  action: (ctx) => {
    const place = clientPlace(ctx);
    return place && { kind: 'exec', place, argv: ['sh', '-c', DETECT_SCRIPT] };
  },
  analyze: (r, ctx) => {
    const c = ctx.item ?? '?';
    const said = r.exitCode === 0 && !r.truncated ? r.stdout.trim().split('\n').at(-1) : undefined;
    if (said === 'none' && healthOf(ctx)?.fromWorker)
      return {
        findings: [
          {
            code: 'http-tool-found',
            severity: 'ok',
            statement: `${c} has none of ${HTTP_TOOLS.join(', ')}; its health check is fetched from the worker (fromWorker in the targets file)`,
            evidence: [said],
          },
        ],
        facts: { [clientFact(c, 'httpTool')]: 'worker' },
      };
    if (said === 'none')
      return couldNotRun(
        `fetch ${c}'s health check`,
        r,
        `the image has none of ${HTTP_TOOLS.join(', ')} to fetch it with`,
      );
    if (!isTool(said)) return couldNotRun(`look for an HTTP tool in ${c}`, r);
    return {
      findings: [
        {
          code: 'http-tool-found',
          severity: 'ok',
          statement: `${c} fetches its health check with ${said}`,
          evidence: [said],
        },
      ],
      facts: { [clientFact(c, 'httpTool')]: said },
    };
  },
  emits: ['http-tool-found'],
  timeoutMs: T,
});

export interface HealthReading {
  /** The HTTP status, when a response came back. */
  status?: number;
  body: string;
  /** Why no response came back, when the tool says the endpoint could not be reached. */
  noResponse?: string;
}

// What the tools print when they reached no HTTP server: a failing application, not a blind spot.
const NO_RESPONSE =
  /Connection refused|ECONNREFUSED|Couldn't connect|Failed to connect|can't connect|bad address|Could not resolve|ENOTFOUND|EAI_AGAIN|Name or service not known|timed out|ETIMEDOUT|Connection reset|ECONNRESET|No route to host|EHOSTUNREACH|Network is unreachable|Empty reply|socket hang up|Remote end closed|Connection aborted/i;
const TOOL_MISSING = /executable file not found|not found in \$PATH|: not found$|No such file or directory/m;

/** Reads what the tool printed; undefined when it is not an answer (the tool did not run). */
export function readHealth(tool: HealthTool, r: ExecResult): HealthReading | undefined {
  if (r.unreachable || r.timedOut || r.exitCode === null || r.truncated) return undefined;
  const out = allOutput(r);
  if (tool === 'wget') {
    // -S prints each response's status line on stderr ("  HTTP/1.1 500 ..."); the last one counts
    // (after redirects). Busybox says "server returned error: HTTP/1.1 500 ..." as well.
    const codes = [...r.stderr.matchAll(/HTTP\/\d(?:\.\d)?\s+(\d{3})/g)].map((m) => Number(m[1]));
    const status = codes.at(-1);
    if (status !== undefined) return { status, body: r.stdout };
  } else {
    const lines = r.stdout.replace(/\n$/, '').split('\n');
    const last = lines.at(-1) ?? '';
    // curl prints 000 when no response came back.
    if (/^\d{3}$/.test(last) && last !== '000')
      return { status: Number(last), body: lines.slice(0, -1).join('\n') };
  }
  if (TOOL_MISSING.test(out) && r.exitCode !== 0 && !NO_RESPONSE.test(out)) return undefined;
  const line = out
    .split('\n')
    .map((l) => l.trim())
    .find((l) => NO_RESPONSE.test(l));
  if (line) return { body: '', noResponse: line };
  // GNU wget -q prints nothing; its exit code 4 is "network failure".
  if (tool === 'wget' && r.exitCode === 4)
    return { body: '', noResponse: 'network failure (wget exit code 4)' };
  return undefined;
}

/** The body as evidence: escaped (quotes, newlines, control characters shown) and capped. */
export const bodyEvidence = (body: string) =>
  `body: ${JSON.stringify(body.slice(0, BODY_SHOWN))}${body.length > BODY_SHOWN ? ` (first ${BODY_SHOWN} of ${body.length} characters)` : ''}`;

export interface HealthVerdict {
  healthy: boolean;
  statement: string;
  evidence: string[];
}

/**
 * A JSON body in its compact form, as applications send it: the executors re-indent JSON output to
 * redact it value by value, so `{"redis_connection":"ok"}` may arrive spread over lines.
 */
export function compactBody(body: string): string {
  const t = body.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return body;
  try {
    return JSON.stringify(JSON.parse(t));
  } catch {
    return body;
  }
}

/** Healthy: the expected status, and the body matches the pattern when one is declared. */
export function judgeHealth(c: string, health: ClientHealth, raw: HealthReading): HealthVerdict {
  const got = { ...raw, body: compactBody(raw.body) };
  const url = `GET ${health.url}`;
  if (got.status === undefined)
    return {
      healthy: false,
      statement: `${c}'s health check gets no response: ${got.noResponse ?? 'no answer'}`,
      evidence: [url, got.noResponse ?? ''],
    };
  const ev = [`${url} → HTTP ${got.status}`, bodyEvidence(got.body)];
  if (got.status !== health.status)
    return {
      healthy: false,
      statement: `${c}'s health check answers HTTP ${got.status}, not ${health.status}`,
      evidence: ev,
    };
  if (health.bodyPattern !== undefined && !new RegExp(health.bodyPattern).test(got.body))
    return {
      healthy: false,
      statement: `${c}'s health check answers HTTP ${got.status}, but its body does not match /${health.bodyPattern}/`,
      evidence: ev,
    };
  return { healthy: true, statement: `${c}'s health check answers HTTP ${got.status}`, evidence: ev };
}

export const toolOf = (ctx: StepContext): HealthTool | undefined => {
  const t = ctx.item === undefined ? undefined : str(ctx.facts, clientFact(ctx.item, 'httpTool'));
  return isTool(t) ? t : undefined;
};

export const appHealthStep = diagnose({
  id: 'app-health',
  title: "The application's health check",
  needs: ['client-http-tool'],
  forEach: 'health-client',
  action: healthAction,
  analyze: (r, ctx): Analysis => {
    const c = ctx.item ?? '?';
    const health = healthOf(ctx);
    const tool = toolOf(ctx);
    const got = tool && health ? readHealth(tool, r) : undefined;
    if (!health || !got) return couldNotRun(`fetch ${c}'s health check`, r);
    const v = judgeHealth(c, health, got);
    const finding: Finding = {
      code: v.healthy ? 'app-health-ok' : 'app-health-failing',
      severity: v.healthy ? 'ok' : 'critical',
      statement: v.statement,
      evidence: v.evidence,
    };
    return { findings: [finding], facts: { [clientFact(c, 'healthy')]: v.healthy } };
  },
  emits: ['app-health-ok', 'app-health-failing'],
  timeoutMs: T,
});
