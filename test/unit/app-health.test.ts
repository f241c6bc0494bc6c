import { describe, expect, it } from 'vitest';
import type { ExecResult } from '../../src/runbooks/index.js';
import { targetsFileSchema, viewOfTarget } from '../../src/runbooks/index.js';
import {
  BODY_SHOWN,
  DETECT_SCRIPT,
  HTTP_TOOLS,
  healthAction,
  healthArgv,
  httpToolStep,
  judgeHealth,
  readHealth,
} from '../../src/runbooks/library/app-health-steps.js';

// A client's health check in the targets file, the argv that fetches it, and how each tool's
// output is read. The outputs below were printed by the real tools (curl 7.88, GNU wget 1.21,
// busybox 1.35 wget, the node and python one-liners) against a local server answering 200 and 500.
const target = (health: unknown) => ({
  targets: {
    cache: {
      redis: { docker: { container: 'redis' } },
      clients: [{ name: 'api', docker: { container: 'api' }, health }],
    },
  },
});
const parse = (health: unknown) => targetsFileSchema.safeParse(target(health));

const res = (o: Partial<ExecResult>): ExecResult => ({
  exitCode: 0,
  stdout: '',
  stderr: '',
  durationMs: 5,
  timedOut: false,
  unreachable: false,
  truncated: false,
  ...o,
});

describe('a client health check in the targets file', () => {
  it('is carried to the core with status 200 by default', () => {
    const f = targetsFileSchema.parse(target({ url: 'http://api:3000/readyz' }));
    const view = viewOfTarget('cache', f.targets.cache as NonNullable<(typeof f.targets)['cache']>);
    expect(view.clients).toEqual([
      { name: 'api', container: 'api', health: { url: 'http://api:3000/readyz', status: 200 } },
    ]);
    expect(parse({ url: 'https://x/h', status: 204, bodyPattern: '"ok"' }).success).toBe(true);
  });

  it.each([
    ['ftp://api/health', 'only http and https'],
    ['file:///etc/passwd', 'only http and https'],
    ['http://user:secret@api/health', 'userinfo'],
    ['http://user@api/health', 'userinfo'],
    ['http://api/health check', 'spaces'],
    ['http://api/\nhealth', 'spaces'],
    ['-o/tmp/x', 'not a URL'],
    ['api:3000/health', 'only http and https'],
  ])('refuses %j (%s)', (url, why) => {
    const r = parse({ url });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(why);
  });

  it('refuses a body pattern that does not compile, or is too long, and an unknown field', () => {
    expect(parse({ url: 'http://a/h', bodyPattern: '(' }).success).toBe(false);
    expect(parse({ url: 'http://a/h', bodyPattern: 'x'.repeat(201) }).success).toBe(false);
    expect(parse({ url: 'http://a/h', status: 99 }).success).toBe(false);
    expect(parse({ url: 'http://a/h', command: 'curl' }).success).toBe(false);
  });
});

describe('the argv that fetches it', () => {
  const url = "http://api:3000/h?a=1&b='$(id)'";
  it.each(HTTP_TOOLS)('%s: the URL is one argv element, last, and no shell is run', (tool) => {
    const argv = healthArgv(tool, url);
    expect(argv.at(-1)).toBe(url);
    expect(argv.filter((a) => a.includes(url))).toEqual([url]);
    expect(argv[0]).toBe(tool);
    expect(argv).not.toContain('sh');
  });

  it('the tool is found by a fixed script that reads no input', () => {
    expect(DETECT_SCRIPT).not.toMatch(/\$[1-9@*]/);
  });
});

const health = { url: 'http://127.0.0.1:18099/h', status: 200, bodyPattern: '"redis_connection":"ok"' };
const ok = '{"status":"ok","redis_connection":"ok"}';
const bad = '{"redis_connection":"error"}';

describe('reading what each tool printed', () => {
  it.each([
    ['curl', res({ stdout: `${ok}\n200` }), 200, ok],
    ['curl', res({ stdout: `${bad}\n500` }), 500, bad],
    ['node', res({ stdout: `${bad}\n500\n` }), 500, bad],
    ['python3', res({ stdout: `${ok}\n200\n` }), 200, ok],
    [
      'wget',
      res({ stdout: ok, stderr: '  HTTP/1.0 200 OK\n  Server: BaseHTTP/0.6\n  Content-Length: 39\n' }),
      200,
      ok,
    ],
    [
      'wget',
      res({
        exitCode: 1,
        stderr:
          '  HTTP/1.1 500 Internal Server Error\nwget: server returned error: HTTP/1.1 500 Internal Server Error\n',
      }),
      500,
      '',
    ],
    [
      'wget',
      res({
        exitCode: 8,
        stderr: '  HTTP/1.1 302 Found\n  Location: /x\n  HTTP/1.1 503 Service Unavailable\n',
      }),
      503,
      '',
    ],
  ] as const)('%s: status and body', (tool, r, status, body) => {
    expect(readHealth(tool, r)).toEqual({ status, body });
  });

  it.each([
    [
      'curl',
      res({
        exitCode: 7,
        stdout: '\n000',
        stderr:
          "curl: (7) Failed to connect to 127.0.0.1 port 18098 after 0 ms: Couldn't connect to server\n",
      }),
    ],
    [
      'wget',
      res({ exitCode: 1, stderr: "wget: can't connect to remote host (127.0.0.1): Connection refused\n" }),
    ],
    ['wget', res({ exitCode: 1, stderr: "wget: bad address 'api'\n" })],
    ['wget', res({ exitCode: 4 })],
    ['node', res({ exitCode: 2, stderr: 'health check error: connect ECONNREFUSED 127.0.0.1:18098\n' })],
    [
      'python3',
      res({
        exitCode: 2,
        stderr: 'health check error: <urlopen error [Errno -2] Name or service not known>\n',
      }),
    ],
  ] as const)('%s: no response is a failing app, read', (tool, r) => {
    const got = readHealth(tool, r);
    expect(got?.status).toBeUndefined();
    expect(got?.noResponse).toBeTruthy();
    expect(judgeHealth('api', health, got ?? { body: '' }).healthy).toBe(false);
  });

  it.each([
    [
      'curl',
      res({
        exitCode: 127,
        stderr: 'OCI runtime exec failed: exec: "curl": executable file not found in $PATH',
      }),
    ],
    ['wget', res({ exitCode: null, timedOut: true, error: 'timed out after 15000 ms' })],
    ['curl', res({ unreachable: true, exitCode: null, error: 'engine unreachable' })],
    ['curl', res({ stdout: `${ok}\n200`, truncated: true })],
    ['node', res({ exitCode: 139, stderr: 'Segmentation fault' })],
  ] as const)('%s: a tool that did not run, or output cut, is unread', (tool, r) => {
    expect(readHealth(tool, r)).toBeUndefined();
  });
});

describe('judging it', () => {
  it('healthy only with the expected status and a matching body', () => {
    expect(judgeHealth('api', health, { status: 200, body: ok }).healthy).toBe(true);
    expect(judgeHealth('api', health, { status: 200, body: bad }).statement).toMatch(/does not match/);
    expect(judgeHealth('api', health, { status: 500, body: ok }).statement).toMatch(/HTTP 500, not 200/);
    expect(judgeHealth('api', { ...health, status: 204 }, { status: 204, body: ok }).healthy).toBe(true);
  });

  it('matches a JSON body in its compact form, as the app sent it (the executor re-indents JSON)', () => {
    const indented = '{\n  "status": "ok",\n  "redis_connection": "ok"\n}';
    expect(judgeHealth('api', health, { status: 200, body: indented }).healthy).toBe(true);
  });

  it('shows the body escaped and capped', () => {
    const body = `<!channel> "x"\n${'y'.repeat(500)}`;
    const v = judgeHealth('api', { url: health.url, status: 200 }, { status: 500, body });
    const shown = v.evidence.find((e) => e.startsWith('body: ')) ?? '';
    expect(shown).toContain('\\n');
    expect(shown).toContain('\\"x\\"');
    expect(shown).toContain(`(first ${BODY_SHOWN} of ${body.length} characters)`);
    expect(shown.length).toBeLessThan(BODY_SHOWN + 100);
  });
});

describe('fromWorker: an image with no HTTP tool', () => {
  const f = targetsFileSchema.parse(target({ url: 'http://10.0.0.5:3000/readyz', fromWorker: true }));
  const view = viewOfTarget('cache', f.targets.cache as NonNullable<(typeof f.targets)['cache']>);
  const none = res({ stdout: 'none\n' });

  it('the worker fetches it, said so, as an http-get of the URL from the targets file', () => {
    const a = httpToolStep.analyze(none, { target: view, facts: {}, item: 'api' });
    expect(a.facts).toEqual({ 'client.api.httpTool': 'worker' });
    expect(a.findings[0]?.statement).toMatch(/fetched from the worker \(fromWorker/);
    expect(healthAction({ target: view, facts: a.facts ?? {}, item: 'api' })).toEqual({
      kind: 'http-get',
      place: { at: 'client', client: 'api' },
      url: 'http://10.0.0.5:3000/readyz',
    });
  });

  it('without fromWorker the same image is unread, never fetched from elsewhere', () => {
    const plain = targetsFileSchema.parse(target({ url: 'http://10.0.0.5:3000/readyz' }));
    const v = viewOfTarget('cache', plain.targets.cache as NonNullable<(typeof plain.targets)['cache']>);
    expect(httpToolStep.analyze(none, { target: v, facts: {}, item: 'api' }).unread).toMatch(/none of curl/);
  });
});
