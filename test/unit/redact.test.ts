import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactValue } from '../../src/runbooks/redact.js';

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
