import { describe, expect, it } from 'vitest';
import { scrubbedLogger, scrubEvent } from '../../src/queue/step-worker.js';
import { REDACTED, redact, redactKnown, redactValue } from '../../src/runbooks/redact.js';

describe('redact', () => {
  it('replaces every occurrence of each known secret, longest first', () => {
    const out = redact('pw=hunter2 again hunter2 and hunter2-long', ['hunter2', 'hunter2-long', '']);
    expect(out).toBe(`pw=${REDACTED} again ${REDACTED} and ${REDACTED}`);
  });

  it('treats secrets literally, not as patterns', () => {
    expect(redact('a.b*c and axbbc', ['a.b*c'])).toBe(`${REDACTED} and axbbc`);
  });

  it('keeps the user of a redis URL and drops its password', () => {
    expect(redact('REDIS_URL redis://app:s3cr3t@cache:6379/0', [])).toBe(
      `REDIS_URL redis://app:${REDACTED}@cache:6379/0`,
    );
    expect(redact('rediss://:tok3n@h:6380', [])).toBe(`rediss://:${REDACTED}@h:6380`);
    expect(redact('redis://cache:6379/0', [])).toBe('redis://cache:6379/0');
  });

  it('redacts password options of redis-cli and redis-server', () => {
    expect(redact('redis-cli -h x -a s3cr3t ping', [])).toBe(`redis-cli -h x -a ${REDACTED} ping`);
    expect(redact('redis-cli --pass "a b" ping', [])).toBe(`redis-cli --pass ${REDACTED} ping`);
    expect(redact('redis-server --requirepass=abc --port 1', [])).toBe(
      `redis-server --requirepass=${REDACTED} --port 1`,
    );
    expect(redact('redis-server *:6379 --masterauth xyz', [])).toBe(
      `redis-server *:6379 --masterauth ${REDACTED}`,
    );
  });

  it('leaves -a alone outside redis-cli', () => {
    expect(redact('ls -a /data\nuname -a', [])).toBe('ls -a /data\nuname -a');
  });

  it('redacts requirepass and masterauth in config files and CONFIG GET output', () => {
    expect(redact('requirepass foobared\nmasterauth "x y"\n', [])).toBe(
      `requirepass ${REDACTED}\nmasterauth ${REDACTED}\n`,
    );
    expect(redact('1) "requirepass"\n2) "p4ss"', [])).toBe(`1) "requirepass"\n2) ${REDACTED}`);
    expect(redact('requirepass\np4ss\n', [])).toBe(`requirepass\n${REDACTED}\n`);
    // An empty value is not a password, and the key after it (in CONFIG GET's random order) stays.
    expect(redact('masterauth\n\nrequirepass\n\ndir\n/data\n', [])).toBe(
      'masterauth\n\nrequirepass\n\ndir\n/data\n',
    );
  });

  it('redacts AUTH arguments but keeps the error texts analyzers match', () => {
    expect(redact('AUTH s3cr3t', [])).toBe(`AUTH ${REDACTED}`);
    expect(redact('AUTH alice s3cr3t', [])).toBe(`AUTH ${REDACTED}`);
    expect(redact('1700000000.1 [0 127.0.0.1:5] "AUTH" "s3cr3t"', [])).toBe(
      `1700000000.1 [0 127.0.0.1:5] "AUTH" ${REDACTED}`,
    );
    const kept = [
      'AUTH failed: WRONGPASS invalid username-password pair or user is disabled.',
      'NOAUTH Authentication required.',
      'ERR AUTH <password> called without any password configured for the default user.',
    ].join('\n');
    expect(redact(kept, [])).toBe(kept);
  });

  it('redacts credentials in environment assignments', () => {
    const env = '"Env": ["REDISCLI_AUTH=abc", "REDIS_PASSWORD=def", "PATH=/usr/bin", "APP_TOKEN=ghi"]';
    expect(redact(env, [])).toBe(
      `"Env": ["REDISCLI_AUTH=${REDACTED}", "REDIS_PASSWORD=${REDACTED}", "PATH=/usr/bin", "APP_TOKEN=${REDACTED}"]`,
    );
  });

  it('redacts Slack tokens', () => {
    const out = redact('bot xoxb-1234-5678-abcdef app xapp-1-A0-99-ff user xoxp-9-9', []);
    expect(out).toBe(`bot ${REDACTED} app ${REDACTED} user ${REDACTED}`);
  });

  it('redacts PEM private key blocks, also when cut off', () => {
    const pem =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\nAAAA\n-----END OPENSSH PRIVATE KEY-----';
    expect(redact(`key:\n${pem}\nafter`, [])).toBe(
      `key:\n-----BEGIN OPENSSH PRIVATE KEY-----\n${REDACTED}\n-----END OPENSSH PRIVATE KEY-----\nafter`,
    );
    expect(redact('-----BEGIN RSA PRIVATE KEY-----\nMIIEow', [])).not.toContain('MIIEow');
    const pub = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----';
    expect(redact(pub, [])).toBe(pub);
  });

  it('is idempotent and leaves ordinary output alone', () => {
    const text = 'rdb_last_bgsave_status:err\nFailed opening the temp RDB file temp-7.rdb: Permission denied';
    expect(redact(text, [])).toBe(text);
    const once = redact('redis-cli -a x\nAUTH y\nrequirepass z\nREDIS_PASSWORD=w', ['q']);
    expect(redact(once, ['q'])).toBe(once);
  });
});

describe('redactValue', () => {
  it('redacts strings in parsed JSON, argv pairs and secret-named keys', () => {
    const inspect = {
      Config: {
        Cmd: ['redis-server', '--requirepass', 'pw1', '--port', '6379'],
        Env: ['REDIS_PASSWORD=pw2', 'PATH=/bin'],
        Labels: { 'db.password': 'pw3', note: 'uses pw4' },
      },
      State: { Running: true, ExitCode: 0 },
    };
    expect(redactValue(inspect, ['pw4'])).toEqual({
      Config: {
        Cmd: ['redis-server', '--requirepass', REDACTED, '--port', '6379'],
        Env: [`REDIS_PASSWORD=${REDACTED}`, 'PATH=/bin'],
        Labels: { 'db.password': REDACTED, note: `uses ${REDACTED}` },
      },
      State: { Running: true, ExitCode: 0 },
    });
  });
});

describe('redact: credentials recognised without knowing their value', () => {
  it('redacts Slack webhook URLs, keeping which kind of hook it was', () => {
    const text = [
      'url=https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcDEF123ghiJKL456mnoPQR',
      'wf "https://hooks.slack.com/workflows/T0123ABCD/A0456/789/xyzSecret"',
      'tr https://hooks.slack.com/triggers/T0123ABCD/456/abc123def.',
    ].join('\n');
    expect(redact(text, [])).toBe(
      [
        `url=https://hooks.slack.com/services/${REDACTED}`,
        `wf "https://hooks.slack.com/workflows/${REDACTED}"`,
        `tr https://hooks.slack.com/triggers/${REDACTED}.`,
      ].join('\n'),
    );
    // Slack's own pages are not hooks.
    expect(redact('see https://api.slack.com/messaging/webhooks', [])).toBe(
      'see https://api.slack.com/messaging/webhooks',
    );
  });

  it('redacts Authorization headers, as printed and in curl -H form, and nothing past them', () => {
    expect(redact('> Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig_-x\n> Accept: */*', [])).toBe(
      `> Authorization: Bearer ${REDACTED}\n> Accept: */*`,
    );
    expect(redact('authorization: basic dXNlcjpwYXNz==', [])).toBe(`authorization: basic ${REDACTED}`);
    expect(
      redact(`curl -H "Authorization: Bearer abc123" -H 'Authorization:Basic dXNlcg==' https://x`, []),
    ).toBe(`curl -H "Authorization: Bearer ${REDACTED}" -H 'Authorization:Basic ${REDACTED}' https://x`);
    expect(redact('{"Authorization": "Bearer t0k3n", "Accept": "json"}', [])).toBe(
      `{"Authorization": "Bearer ${REDACTED}", "Accept": "json"}`,
    );
    expect(redact('Proxy-Authorization: Basic cHJveHk6cHc=', [])).toBe(
      `Proxy-Authorization: Basic ${REDACTED}`,
    );
    // A header with no value must not take the next line.
    expect(redact('Authorization: Bearer\nnext line', [])).toBe('Authorization: Bearer\nnext line');
    expect(redact('Authorization failed for user bob', [])).toBe('Authorization failed for user bob');
  });

  it("redacts curl's -u user:password, keeping the user, and leaves other -u alone", () => {
    expect(redact('curl -sS -u alice:s3cr3t https://x', [])).toBe(`curl -sS -u alice:${REDACTED} https://x`);
    expect(redact('curl --user "bob:p w" https://x', [])).toBe(`curl --user "bob:${REDACTED}" https://x`);
    expect(redact('curl -fsSu carol:pw https://x', [])).toBe(`curl -fsSu carol:${REDACTED} https://x`);
    const kept = 'runuser -u redis -- redis-server /etc/redis.conf\nid -u redis:x\nsort -u a:b';
    expect(redact(kept, [])).toBe(kept);
  });

  it('redacts credentials in any URL, not only redis://, and not a port or a path', () => {
    expect(redact('GET https://deploy:hunter2@git.example.com/repo.git', [])).toBe(
      `GET https://deploy:${REDACTED}@git.example.com/repo.git`,
    );
    expect(redact('amqp://guest:guest@rabbit:5672/', [])).toBe(`amqp://guest:${REDACTED}@rabbit:5672/`);
    const kept = 'http://cache:6379/path?mail=ops@example.com';
    expect(redact(kept, [])).toBe(kept);
  });

  it('redacts every kind of Slack token', () => {
    for (const prefix of ['xoxb', 'xoxp', 'xoxa', 'xoxr', 'xoxs', 'xapp'])
      expect(redact(`token ${prefix}-1-2345-abcDEF end`, []), prefix).toBe(`token ${REDACTED} end`);
  });

  it('redacts quoted values in environment listings (export -p, env files)', () => {
    expect(redact('declare -x SLACK_SIGNING_SECRET="8f14e45fceea167a"\ndeclare -x HOME="/root"', [])).toBe(
      `declare -x SLACK_SIGNING_SECRET=${REDACTED}\ndeclare -x HOME="/root"`,
    );
    expect(redact("ALERT_WEBHOOK_TOKEN='abc def'", [])).toBe(`ALERT_WEBHOOK_TOKEN=${REDACTED}`);
    // An empty value in a JSON list must not swallow the next element.
    const env = '"Env": ["APP_TOKEN=", "PATH=/usr/bin"]';
    expect(redact(env, [])).toBe(env);
  });

  it('stays idempotent with the new patterns', () => {
    const text =
      'Authorization: Bearer x\ncurl -u a:b https://u:p@h/x https://hooks.slack.com/services/T1/B2/c3 xoxb-1';
    const once = redact(text, []);
    expect(redact(once, [])).toBe(once);
  });
});

describe('redactKnown', () => {
  it('replaces known values only, also cut at the end, and applies no pattern', () => {
    expect(redactKnown('requirepass x and SIGNING-0123 and xoxb-1', ['SIGNING-0123'])).toBe(
      `requirepass x and ${REDACTED} and xoxb-1`,
    );
    expect(redactKnown('tail SIGN', ['SIGNING-0123'], { cut: true })).toBe(`tail ${REDACTED}`);
  });

  it('also finds a known value as JSON or a quoting tool escaped it', () => {
    expect(redactKnown('{"pw":"a\\"b\\\\c"}', ['a"b\\c'])).toBe(`{"pw":"${REDACTED}"}`);
  });
});

describe("the step worker's scrub of the process's own credentials", () => {
  const SIGNING = 'e2e-signing-secret-0123456789';
  const out = (stdout: string, truncated = false) => ({
    exitCode: 0,
    stdout,
    stderr: `err ${SIGNING}`,
    durationMs: 1,
    timedOut: false,
    unreachable: false,
    truncated,
  });

  it('redacts them from queued results and reasons, and leaves what analyzers read', () => {
    const event = {
      type: 'step-result' as const,
      stepKey: 'env',
      attempt: 1,
      results: [
        out(`SIGNING=${SIGNING}\nrdb_last_bgsave_status:ok\nrequirepass ok`),
        out(`x ${SIGNING.slice(0, 9)}`, true),
      ],
      notRun: `probe said ${SIGNING}`,
    };
    expect(scrubEvent(event, [SIGNING])).toEqual({
      ...event,
      results: [
        {
          ...out(`SIGNING=${REDACTED}\nrdb_last_bgsave_status:ok\nrequirepass ok`),
          stderr: `err ${REDACTED}`,
        },
        { ...out(`x ${REDACTED}`, true), stderr: `err ${REDACTED}` },
      ],
      notRun: `probe said ${REDACTED}`,
    });
    const interrupted = { type: 'repair-interrupted' as const, stepKey: 'fix', attempt: 1, reason: SIGNING };
    expect(scrubEvent(interrupted, [SIGNING])).toEqual({ ...interrupted, reason: REDACTED });
    expect(scrubEvent(event, [])).toBe(event);
  });

  it('redacts them from what the worker logs', () => {
    const lines: unknown[] = [];
    const keep = (obj: object, msg?: string) => void lines.push({ obj, msg });
    const log = scrubbedLogger({ info: keep, warn: keep, error: keep }, [SIGNING]);
    log.error({ jobId: 'j1', err: `boom ${SIGNING}`, attempt: 2 }, `failed: ${SIGNING}`);
    expect(lines).toEqual([
      { obj: { jobId: 'j1', err: `boom ${REDACTED}`, attempt: 2 }, msg: `failed: ${REDACTED}` },
    ]);
  });
});

describe('ACL rules', () => {
  it('an inline password or hash in a user rule is redacted; a shell redirection is not', () => {
    const hash = 'ab'.repeat(32);
    expect(redact('user app on >s3cretpw ~* +@all', [])).toBe(`user app on >${REDACTED} ~* +@all`);
    expect(redact(`user lwe-app on sanitize-payload #${hash} ~* &* +@all`, [])).not.toContain(hash);
    // Inside inspect JSON, quoted and escaped, with two passwords in one rule.
    const inJson = '"redis-server --user \\"app on >pw-one >pw-two ~* +@all\\" --aclfile /x"';
    expect(redact(inJson, [])).not.toMatch(/pw-one|pw-two/);
    expect(redact('cat x 2>/dev/null > out.txt', [])).toBe('cat x 2>/dev/null > out.txt');
  });
});
