// `inspect` on a host: a read-only description of the process listening on Redis's port, the SSH
// counterpart of `docker inspect` (who Redis runs as is what the permission runbook compares).

// Prints key=value lines; $1 is the port. Uses ss when present, else the first redis-server.
const SCRIPT = [
  'port=$1',
  'pid=""',
  'if command -v ss >/dev/null 2>&1; then',
  `  pid=$(ss -Hltnp "sport = :$port" 2>/dev/null | sed -n 's/.*pid=\\([0-9][0-9]*\\).*/\\1/p' | head -n 1)`,
  '  listen=$(ss -Hltn "sport = :$port" 2>/dev/null | awk \'{print $4}\' | tr "\\n" " ")',
  '  echo "listen=$listen"',
  'else',
  '  pid=$(pgrep -x redis-server | head -n 1)',
  'fi',
  'if [ -z "$pid" ] || [ ! -d "/proc/$pid" ]; then echo "running=false"; exit 0; fi',
  'echo "running=true"',
  'echo "pid=$pid"',
  'echo "name=$(cat "/proc/$pid/comm")"',
  'uid=$(awk \'/^Uid:/{print $3}\' "/proc/$pid/status")',
  'gid=$(awk \'/^Gid:/{print $3}\' "/proc/$pid/status")',
  'echo "uid=$uid"',
  'echo "gid=$gid"',
  'echo "user=$(getent passwd "$uid" | cut -d: -f1)"',
  'echo "group=$(getent group "$gid" | cut -d: -f1)"',
  'echo "groups=$(awk \'/^Groups:/{$1=""; print}\' "/proc/$pid/status")"',
  'echo "exe=$(readlink "/proc/$pid/exe")"',
  'echo "cwd=$(readlink "/proc/$pid/cwd")"',
  'echo "cmdline=$(tr \'\\000\' \' \' <"/proc/$pid/cmdline")"',
].join('\n');

export const inspectArgv = (port: number): string[] => ['sh', '-c', SCRIPT, 'sh', String(port)];

export interface HostRedisProcess {
  running: boolean;
  port: number;
  listen?: string[];
  pid?: number;
  name?: string;
  uid?: number;
  gid?: number;
  user?: string;
  group?: string;
  groups?: number[];
  exe?: string;
  cwd?: string;
  cmdline?: string;
}

const int = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

/** Parses the script's output; `redactText` cleans the command line (it may carry --requirepass). */
export function parseInspect(
  stdout: string,
  port: number,
  redactText: (s: string) => string,
): HostRedisProcess {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const result: HostRedisProcess = { running: kv.get('running') === 'true', port };
  const listen = kv.get('listen')?.split(/\s+/).filter(Boolean);
  if (listen) result.listen = listen;
  const set = <K extends keyof HostRedisProcess>(key: K, value: HostRedisProcess[K] | undefined) => {
    if (value !== undefined && value !== '') result[key] = value;
  };
  set('pid', int(kv.get('pid')));
  set('name', kv.get('name'));
  set('uid', int(kv.get('uid')));
  set('gid', int(kv.get('gid')));
  set('user', kv.get('user'));
  set('group', kv.get('group'));
  const groups = kv.get('groups');
  if (groups !== undefined) result.groups = groups.split(/\s+/).flatMap((g) => int(g) ?? []);
  set('exe', kv.get('exe'));
  set('cwd', kv.get('cwd'));
  const cmdline = kv.get('cmdline');
  if (cmdline !== undefined) result.cmdline = redactText(cmdline);
  return result;
}
