// Readers for what a systemd host prints (seed 003): `systemctl show -p …`, `getent passwd`, an
// owners listing, and sudo's refusals. Pure functions of the text.
import type { ExecResult } from '../result.js';

export interface UnitShow {
  /** Empty when the unit sets no User= (it then runs as root). */
  user: string;
  group: string;
  execStart: string;
  fragmentPath: string;
  dropIns: string[];
  loadState: string;
  activeState: string;
  mainPid: number | undefined;
}

/** `systemctl show -p User,Group,… UNIT`: one `Key=value` a line; null when none is there. */
export function parseUnitShow(stdout: string): UnitShow | null {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined) kv.set(m[1], (m[2] ?? '').trim());
  }
  if (!kv.has('User') || !kv.has('LoadState')) return null;
  const pid = Number(kv.get('MainPID'));
  return {
    user: kv.get('User') ?? '',
    group: kv.get('Group') ?? '',
    execStart: /argv\[\]=([^;]*)/.exec(kv.get('ExecStart') ?? '')?.[1]?.trim() ?? kv.get('ExecStart') ?? '',
    fragmentPath: kv.get('FragmentPath') ?? '',
    dropIns: (kv.get('DropInPaths') ?? '').split(/\s+/).filter(Boolean),
    loadState: kv.get('LoadState') ?? '',
    activeState: kv.get('ActiveState') ?? '',
    mainPid: Number.isInteger(pid) && pid > 0 ? pid : undefined,
  };
}

/** `getent passwd NAME` and, on the next line, `id -gn NAME`: the account and its primary group. */
export function parseAccount(
  stdout: string,
): { user: string; uid: number; gid: number; home: string; shell: string; group: string } | null {
  const m = /^([^:\s]+):[^:]*:(\d+):(\d+):[^:]*:([^:]*):(\S*)\s*\n(\S+)\s*$/m.exec(stdout);
  if (!m) return null;
  return {
    user: m[1] ?? '',
    uid: Number(m[2]),
    gid: Number(m[3]),
    home: m[4] ?? '',
    shell: m[5] ?? '',
    group: m[6] ?? '',
  };
}

export interface OwnedPath {
  user: string;
  group: string;
  path: string;
}

/** Lines of `find … -printf '%u:%g %p\n'` (names, or numbers for ids without one). */
export function parseOwners(text: string): OwnedPath[] {
  return text.split('\n').flatMap((line) => {
    const m = /^([\w.-]+):([\w.-]+) (\/.*)$/.exec(line);
    return m ? [{ user: m[1] ?? '', group: m[2] ?? '', path: m[3] ?? '' }] : [];
  });
}

// What sudo -n prints when it will not run the command (no password given, not in sudoers, not
// allowed that command). Exit 1, and nothing of the command ran.
const SUDO_REFUSED =
  /^sudo: (a password is required|a terminal is required.*|.* is not in the sudoers file.*|.* is not allowed to .*|.* may not run sudo .*|sorry, .*)$/m;

/** The refusal line when sudo itself refused, so the command never ran; undefined otherwise. */
export function sudoRefusal(r: ExecResult): string | undefined {
  if (r.exitCode !== 1) return undefined;
  return SUDO_REFUSED.exec(r.stderr)?.[0];
}
