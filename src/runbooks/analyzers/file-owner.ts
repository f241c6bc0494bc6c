// `stat -c '%u %g %a %U %G %n' DIR` → owner, group and mode of the data directory.
export interface FileOwner {
  uid: number;
  gid: number;
  mode: number;
  user: string;
  group: string;
  path: string;
}

export function parseStat(stdout: string): FileOwner | null {
  const m = /^(\d+) (\d+) ([0-7]{3,4}) (\S+) (\S+) (\S+)\s*$/m.exec(stdout);
  if (!m) return null;
  return {
    uid: Number(m[1]),
    gid: Number(m[2]),
    mode: Number.parseInt(m[3] ?? '0', 8),
    user: m[4] ?? '',
    group: m[5] ?? '',
    path: m[6] ?? '',
  };
}

/** `id` output: uid=999(redis) gid=999(redis) groups=999(redis),1001 */
export function parseId(stdout: string): { uid: number; gid: number; user: string; groups: number[] } | null {
  const m = /uid=(\d+)(?:\(([^)]*)\))? gid=(\d+)(?:\S*)(?: groups=(\S+))?/.exec(stdout);
  if (!m) return null;
  const groups = (m[4] ?? '')
    .split(',')
    .map((g) => /^(\d+)/.exec(g)?.[1])
    .filter((g): g is string => g !== undefined)
    .map(Number);
  return { uid: Number(m[1]), gid: Number(m[3]), user: m[2] ?? m[1] ?? '', groups };
}

/** Which rule of the mode decides whether uid:gid may create files in the directory. */
export function writeAccess(
  dir: FileOwner,
  uid: number,
  gid: number,
  groups: readonly number[] = [],
): { canWrite: boolean; via: 'root' | 'owner' | 'group' | 'other' } {
  if (uid === 0) return { canWrite: true, via: 'root' };
  // Creating a file needs write and search (x) on the directory. The kernel applies exactly one
  // class: owner if the uid matches, else group if the primary or any supplementary group does.
  const bits = (shift: number) => ((dir.mode >> shift) & 0o3) === 0o3;
  if (uid === dir.uid) return { canWrite: bits(6), via: 'owner' };
  if (gid === dir.gid || groups.includes(dir.gid)) return { canWrite: bits(3), via: 'group' };
  return { canWrite: bits(0), via: 'other' };
}

export const modeString = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

/** One `stat -c '%u %g %a %U %G %n'` line per path, in order; lines that are not one are dropped. */
export const parseStats = (stdout: string): FileOwner[] =>
  stdout.split('\n').flatMap((line) => parseStat(line) ?? []);

/** Whether uid:gid may open the file for writing, by the one class of its mode that applies. */
export function fileWritable(file: FileOwner, uid: number, gid: number, groups: readonly number[] = []) {
  if (uid === 0) return true;
  if (uid === file.uid) return (file.mode & 0o200) !== 0;
  if (gid === file.gid || groups.includes(file.gid)) return (file.mode & 0o020) !== 0;
  return (file.mode & 0o002) !== 0;
}
