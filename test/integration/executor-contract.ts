import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Executor } from '../../src/executors/executor.js';
import type { Place } from '../../src/runbooks/action.js';
import { REDACTED } from '../../src/runbooks/redact.js';

/** What a transport must provide for the shared executor contract. */
export interface ExecutorFixture {
  /** A full target executor (routing, secrets, cap, redaction) whose Redis place runs commands. */
  executor: Executor;
  place: Place;
  /** The target's Redis password: Redis requires it, and it must never come back in output. */
  secret: string;
  /** An executor for a target that does not exist or cannot be reached. */
  unreachable: Executor;
  /** Processes on the target whose command line contains `text`, counted out of band. */
  countProcesses(text: string): Promise<number>;
  cleanup(): Promise<void>;
}

const uniqueSleep = () => String(40_000 + Math.floor(Math.random() * 50_000));

// One argument that a shell would split, substitute, comment out or run if it ever saw it unquoted.
export const NASTY_ARG = `a; rm -rf / #$(id) \`id\` 'single' "double" $HOME\nsecond line \\ * ? ~ | & > /tmp/x <`;

export function describeExecutorContract(name: string, makeFixture: () => Promise<ExecutorFixture>): void {
  describe(`${name}: executor contract`, () => {
    let fx: ExecutorFixture;
    beforeAll(async () => {
      fx = await makeFixture();
    });
    afterAll(async () => {
      await fx?.cleanup();
    });

    const exec = (argv: string[], timeoutMs = 20_000, signal?: AbortSignal) =>
      fx.executor.run(
        { kind: 'exec', place: fx.place, argv },
        signal ? { timeoutMs, signal } : { timeoutMs },
      );

    it('reports exit codes', async () => {
      const ok = await exec(['true']);
      expect(ok).toMatchObject({ exitCode: 0, timedOut: false, unreachable: false, truncated: false });
      const three = await exec(['sh', '-c', 'exit 3']);
      expect(three.exitCode).toBe(3);
      const missing = await exec(['/no/such/binary']);
      expect(missing.exitCode).not.toBe(0);
    });

    it('keeps stderr apart from stdout', async () => {
      const r = await exec(['sh', '-c', 'echo to-out; echo to-err >&2; echo more-out']);
      expect(r.stdout).toBe('to-out\nmore-out\n');
      expect(r.stderr).toBe('to-err\n');
    });

    it('passes a shell-metacharacter argument through as one literal argument', async () => {
      const r = await exec(['sh', '-c', 'printf "%s\\n" "$#"; printf "%s" "$1"', 'sh', NASTY_ARG]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(`1\n${NASTY_ARG}`);
      const direct = await exec(['printf', '%s', NASTY_ARG]);
      expect(direct.stdout).toBe(NASTY_ARG);
    });

    it('stops a hanging command at its timeout and leaves no process behind', async () => {
      const n = uniqueSleep();
      const r = await exec(['sh', '-c', `sleep ${n} & sleep ${n}; wait`], 1000);
      expect(r.timedOut).toBe(true);
      expect(r.exitCode).toBeNull();
      expect(r.durationMs).toBeGreaterThanOrEqual(900);
      expect(r.durationMs).toBeLessThan(8000);
      expect(await fx.countProcesses(`sleep ${n}`)).toBe(0);
    });

    it('stops a command when the caller aborts', async () => {
      const n = uniqueSleep();
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 500);
      const r = await exec(['sleep', n], 30_000, ac.signal);
      expect(r.timedOut).toBe(false);
      expect(r.exitCode).toBeNull();
      expect(r.error).toMatch(/aborted/);
      expect(r.durationMs).toBeLessThan(8000);
      expect(await fx.countProcesses(`sleep ${n}`)).toBe(0);
    });

    it('returns at once for an already aborted signal', async () => {
      const ac = new AbortController();
      ac.abort();
      const r = await exec(['true'], 5000, ac.signal);
      expect(r).toMatchObject({ exitCode: null, error: 'aborted' });
    });

    it('returns unreachable for a target it cannot reach, without throwing', async () => {
      const r = await fx.unreachable.run(
        { kind: 'exec', place: fx.place, argv: ['true'] },
        { timeoutMs: 20_000 },
      );
      expect(r.unreachable).toBe(true);
      expect(r.exitCode).toBeNull();
      expect(r.error).toBeTruthy();
    });

    it('caps large output and says so', async () => {
      const r = await exec(['sh', '-c', 'head -c 300000 /dev/zero | tr "\\000" a; echo done >&2']);
      expect(r.exitCode).toBe(0);
      expect(r.truncated).toBe(true);
      expect(Buffer.byteLength(r.stdout)).toBe(64 * 1024);
      expect(r.stdout).toMatch(/^a+$/);
      expect(r.stderr).toBe('done\n');
    });

    it('redacts credential patterns before it cuts, so none straddling the cap leaks', async () => {
      const r = await exec([
        'sh',
        '-c',
        'head -c 65520 /dev/zero | tr "\\000" a; printf "\\nrequirepass %s" "$1"',
        'sh',
        fx.secret,
      ]);
      expect(r.truncated).toBe(true);
      const tail = r.stdout.slice(r.stdout.lastIndexOf('requirepass ') + 'requirepass '.length);
      expect(tail.length).toBeGreaterThan(0);
      expect(REDACTED.startsWith(tail)).toBe(true);
      expect(r.stdout).not.toContain(fx.secret.slice(0, 4));
    });

    // Known secret values are the engine's to redact from what it stores (test/unit/engine-truth):
    // replaced here, a password such as "ok" would erase what the analyzers read.
    it('redacts the credential patterns the target prints, and leaves other text as printed', async () => {
      const r = await exec([
        'sh',
        '-c',
        'echo "status:ok"; echo "redis://app:$1@cache:6379" >&2; echo "requirepass other-pw"',
        'sh',
        fx.secret,
      ]);
      expect(r.stderr).not.toContain(fx.secret);
      expect(r.stdout).toBe(`status:ok\nrequirepass ${REDACTED}\n`);
      expect(r.stderr).toBe(`redis://app:${REDACTED}@cache:6379\n`);
    });

    it('authenticates redis-cli out of band and redacts what Redis says back', async () => {
      const ping = await fx.executor.run(
        { kind: 'redis', place: fx.place, args: ['PING'] },
        { timeoutMs: 10_000 },
      );
      expect(ping.stdout.trim()).toBe('PONG');
      const conf = await fx.executor.run(
        { kind: 'redis', place: fx.place, args: ['CONFIG', 'GET', 'requirepass'] },
        { timeoutMs: 10_000 },
      );
      expect(conf.exitCode).toBe(0);
      expect(conf.stdout).toContain('requirepass');
      expect(conf.stdout).not.toContain(fx.secret);
    });

    it('does not put the Redis password on any command line', async () => {
      const slow = fx.executor.run(
        { kind: 'redis', place: fx.place, args: ['-i', '0.2', '-r', '10', 'PING'] },
        { timeoutMs: 10_000 },
      );
      await new Promise((r) => setTimeout(r, 800));
      expect(await fx.countProcesses(fx.secret)).toBe(0);
      expect(await fx.countProcesses('-r 10 PING')).toBeGreaterThan(0);
      expect((await slow).stdout).toContain('PONG');
    });
  });
}
