import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BatchReader, type BatchSegment, batchArgv } from '../../src/executors/exec-batch.js';

// The batch script is run by this machine's own /bin/sh: the same POSIX sh text a container runs.
const NONCE = '0123456789abcdef0123456789abcdef';

const commands: string[][] = [
  ['printf', 'no newline at the end'],
  ['sh', '-c', 'echo out; echo err >&2; exit 3'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text that must reach printf as typed
  ['printf', '%s\n', 'it\'s $(rm -rf /) `id` ${HOME} "quoted"', 'two\nlines'],
  ['sh', '-c', 'printf "\\n\\n"; printf "x" >&2'],
  ['true'],
  ['printf', '%s', `\n${NONCE.slice(0, 8)} fake marker without the nonce\n`],
  ['no-such-program-here'],
  // A child that writes after the command has exited: still this command's output.
  ['sh', '-c', '(sleep 0.2; echo LATE; echo late-err >&2) & echo first'],
  // Markers a command prints itself, for another index or with a status that is not one: data.
  ['printf', '%s', `\n${NONCE} 99 0\n\n${NONCE} 8 x\n\n${NONCE} 8\n`],
  // Killed by a signal: no line of the shell's own ("Killed") in its stderr.
  ['sh', '-c', 'kill -9 $$'],
  ['timeout', '-s', 'KILL', '1', 'sleep', '5'],
];

const alone = (argv: string[]) => {
  const r = spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'utf8' });
  const signalled = r.signal ? 128 + (constants.signals[r.signal] ?? 0) : undefined;
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', exitCode: r.status ?? signalled ?? 127 };
};

function runBatch(chunkSize: number): Map<number, BatchSegment> {
  const argv = batchArgv(NONCE, commands);
  const r = spawnSync(argv[0] ?? '', argv.slice(1), { encoding: 'buffer' });
  const got = new Map<number, BatchSegment>();
  const reader = new BatchReader(
    NONCE,
    commands.length,
    1 << 20,
    () => 0,
    (i, s) => got.set(i, s),
  );
  const feed = (w: NodeJS.WritableStream, bytes: Buffer) => {
    for (let at = 0; at < bytes.length; at += chunkSize) w.write(bytes.subarray(at, at + chunkSize));
  };
  feed(reader.stdout(), r.stdout);
  feed(reader.stderr(), r.stderr);
  reader.end();
  return got;
}

describe('batched commands', () => {
  it.each([1, 7, 4096])('split back byte for byte as each ran alone (chunks of %i bytes)', (size) => {
    const got = runBatch(size);
    expect(got.size).toBe(commands.length);
    commands.forEach((argv, i) => {
      const want = alone(argv);
      const seg = got.get(i);
      expect(seg?.stdout, `stdout of ${argv.join(' ')}`).toBe(want.stdout);
      expect(seg?.exitCode, `exit of ${argv.join(' ')}`).toBe(want.exitCode);
      if (argv[0] !== 'no-such-program-here') expect(seg?.stderr).toBe(want.stderr);
      else expect(seg?.stderr).toMatch(/no-such-program-here/);
    });
  });

  it('keeps every argument out of the script text', () => {
    const argv = batchArgv(NONCE, [
      ['echo', '$(id)'],
      ['cat', '/etc/passwd; rm -rf /'],
    ]);
    const script = argv[2] ?? '';
    expect(script).not.toContain('id');
    expect(script).not.toContain('passwd');
    expect(script).not.toContain(NONCE);
    expect(argv.slice(3)).toEqual(['sh', NONCE, 'echo', '$(id)', 'cat', '/etc/passwd; rm -rf /']);
    // ${10} and beyond need braces in POSIX sh: every reference carries them.
    expect(script).toMatch(/^exec 3>&1 5>&2\nr=\$\( \{ \{ \{ "\$\{2\}" "\$\{3\}" 2>&8 /);
  });

  it('hands a command over as soon as both its markers arrive, before the next ends', () => {
    const done: number[] = [];
    const reader = new BatchReader(
      NONCE,
      2,
      100,
      () => 5,
      (i) => done.push(i),
    );
    reader.stdout().write(Buffer.from(`a\n${NONCE} 0 0\nb`));
    expect(done).toEqual([]);
    reader.stderr().write(Buffer.from(`\n${NONCE} 0\n`));
    expect(done).toEqual([0]);
    expect(reader.running).toBe(1);
  });

  it('caps each command at its own byte limit', () => {
    const got: BatchSegment[] = [];
    const reader = new BatchReader(
      NONCE,
      2,
      4,
      () => 0,
      (_i, s) => got.push(s),
    );
    reader.stdout().write(Buffer.from(`0123456789\n${NONCE} 0 0\nab\n${NONCE} 1 0\n`));
    reader.stderr().write(Buffer.from(`\n${NONCE} 0\n\n${NONCE} 1\n`));
    expect(got.map((s) => [s.stdout, s.truncated])).toEqual([
      ['0123', true],
      ['ab', false],
    ]);
  });

  it('times each command from the end of the one before it', () => {
    let now = 100;
    const got: BatchSegment[] = [];
    const reader = new BatchReader(
      NONCE,
      2,
      100,
      () => now,
      (_i, s) => got.push(s),
    );
    reader.stderr().write(Buffer.from(`\n${NONCE} 0\n\n${NONCE} 1\n`));
    now = 130;
    reader.stdout().write(Buffer.from(`\n${NONCE} 0 0\n`));
    now = 1130;
    reader.stdout().write(Buffer.from(`\n${NONCE} 1 137\n`));
    expect(got.map((s) => [s.elapsedMs, s.exitCode])).toEqual([
      [30, 0],
      [1000, 137],
    ]);
  });
});
