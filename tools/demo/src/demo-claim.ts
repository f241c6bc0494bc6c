// What keeps two demos apart. Each demo names its lab resources with a prefix of its own, so one demo
// never removes another's containers, networks or host files (nor a test's: tests pass theirs). A
// demo also claims its data directory (its Redis's AOF lives there): a second demo on the same
// directory is refused while the first one's process lives, and a dead one's leftovers are named, so
// they can be removed, and only they.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How a demo fails to start in a way the person can act on: one line, and the exit code to use. */
export class DemoError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'DemoError';
  }
}

/** Exit codes of `npm run demo`; 1 is any other failure. */
export const DEMO_EXIT = { badArguments: 2, portTaken: 3, dataDirInUse: 4 } as const;

/** Five hex digits: with the target's index, the lab prefix rbb-<base><n>- of one demo's targets. */
export const newPrefixBase = (random: (n: number) => Buffer = randomBytes) =>
  random(3).toString('hex').slice(0, 5);

export const prefixFor = (base: string, index: number) => `rbb-${base}${index}-`;

interface ClaimFile {
  pid: number;
  prefixBase: string;
  startedAt: string;
}

export interface Claim {
  /** The prefix base of a demo that died without cleaning up, if its claim was found: its leftovers. */
  stale?: string;
  release(): void;
}

const FILE = 'demo-claim.json';

function read(dir: string): ClaimFile | undefined {
  try {
    const x = JSON.parse(readFileSync(join(dir, FILE), 'utf8')) as Partial<ClaimFile>;
    return typeof x.pid === 'number' && typeof x.prefixBase === 'string' && /^[0-9a-f]{5}$/.test(x.prefixBase)
      ? { pid: x.pid, prefixBase: x.prefixBase, startedAt: String(x.startedAt ?? '') }
      : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is someone else's.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims `dir` for this demo. Refused (DemoError) while another live process holds it; a claim left
 * by a dead process is taken over and its prefix base returned as `stale`.
 */
export function claimDataDir(
  dir: string,
  me: { pid: number; prefixBase: string; now: Date },
  alive: (pid: number) => boolean = processAlive,
): Claim {
  mkdirSync(dir, { recursive: true });
  const before = read(dir);
  if (before && before.pid !== me.pid && alive(before.pid))
    throw new DemoError(
      `npm run demo: another demo (pid ${before.pid}, since ${before.startedAt || 'earlier'}) is using ${dir}; stop it with Ctrl-C, or start this one with -- --data <another dir> --port <another port>.`,
      DEMO_EXIT.dataDirInUse,
    );
  const mine: ClaimFile = { pid: me.pid, prefixBase: me.prefixBase, startedAt: me.now.toISOString() };
  writeFileSync(join(dir, FILE), `${JSON.stringify(mine)}\n`);
  const stale = before && before.prefixBase !== me.prefixBase ? before.prefixBase : undefined;
  return {
    ...(stale ? { stale } : {}),
    release: () => {
      // Only our own claim: a demo that took over a dir after ours died keeps its own.
      if (read(dir)?.pid === me.pid) rmSync(join(dir, FILE), { force: true });
    },
  };
}

/** The one line for a console port that is taken, or undefined for any other failure. */
export function portTakenMessage(e: unknown, port: number | undefined): string | undefined {
  if ((e as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE') return undefined;
  const next = port === undefined || port === 0 ? 8081 : port + 1;
  return `npm run demo: port ${port ?? '?'} on 127.0.0.1 is already in use (another demo, or another program); stop it, or run npm run demo -- --port ${next}.`;
}
