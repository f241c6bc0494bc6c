import type { Facts, StepContext } from '../model.js';

export const str = (facts: Facts, key: string): string | undefined => {
  const v = facts[key];
  return typeof v === 'string' ? v : undefined;
};
export const num = (facts: Facts, key: string): number | undefined => {
  const v = facts[key];
  return typeof v === 'number' ? v : undefined;
};
export const list = (facts: Facts, key: string): string[] => {
  const v = facts[key];
  return Array.isArray(v) ? v : [];
};

// Values parsed from a target's output only become facts (and so command arguments) when they
// have the shape they should; anything else is dropped rather than passed on.
export const SAFE_PATH = /^\/[\w./-]*$/;
export const SAFE_NAME = /^[A-Za-z0-9][\w.-]{0,127}$/;

/** The data directory: the operator's word (targets file) first, then what Redis says, the log, /data. */
export function dataDirOf(ctx: StepContext): string {
  return ctx.target.redis.dataDir ?? str(ctx.facts, 'redis.dir') ?? str(ctx.facts, 'log.rdbDir') ?? '/data';
}

/**
 * The data directory a repair may act on: one that was read, never the default guess. The
 * operator's word, what Redis says, what its log said, or the volume mounted at /data.
 */
export function repairDirOf(ctx: StepContext): string | undefined {
  return (
    ctx.target.redis.dataDir ??
    str(ctx.facts, 'redis.dir') ??
    str(ctx.facts, 'log.rdbDir') ??
    (str(ctx.facts, 'redis.mountSource') !== undefined ? '/data' : undefined)
  );
}

// A repair runs `chown -R` on the data directory as root: a Redis started from / (systemd's default
// working directory) or a hostile `dir` must never turn that into a chown of the system. Trees the
// system owns are refused with everything below them; shared parents are refused themselves only
// (/var/lib/redis and /home/app/redis are ordinary data dirs).
const SYSTEM_TREES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/root',
  '/sbin',
  '/sys',
  '/usr',
  '/var/lib/docker',
  '/var/lib/containers',
  '/var/lib/kubelet',
  '/var/lib/dpkg',
  '/var/lib/apt',
  '/var/lib/systemd',
  '/var/spool',
  '/var/cache',
  '/snap',
];
const SHARED_PARENTS = new Set(
  '/ /home /media /mnt /opt /run /srv /tmp /var /var/lib /var/log /var/tmp /var/run'.split(' '),
);

export function isSafeDataDir(path: string): boolean {
  if (!SAFE_PATH.test(path)) return false;
  const segments = path.split('/').filter(Boolean);
  if (segments.some((s) => s === '.' || s === '..')) return false;
  const norm = `/${segments.join('/')}`;
  if (SHARED_PARENTS.has(norm)) return false;
  return !SYSTEM_TREES.some((t) => norm === t || norm.startsWith(`${t}/`));
}

export const clientFact = (client: string, what: string) => `client.${client}.${what}`;

/** Where the data dir really leads (a symlink to /etc is refused as /etc would be); unknown passes. */
export function realDirSafe(ctx: StepContext, key = 'dir.real'): boolean {
  const real = str(ctx.facts, key);
  return real === undefined || isSafeDataDir(real);
}

/**
 * `chown -R` of a tree as root, never through a symlink inside it: `-h` changes a link itself, not
 * what it points at (a link to /etc/shadow in the data dir must stay a link). The trailing `/.`
 * resolves a data dir that is itself a symlink to the directory Redis writes, as `-H` did.
 */
export const chownTree = (owner: string, dir: string): string[] => [
  'chown',
  '-R',
  '-h',
  owner,
  `${dir.replace(/\/+$/, '')}/.`,
];

// Seed 003: names that become arguments of systemctl, chown and the drop-in. Checked again here,
// whatever their source (the targets file, or a target's own output), before they reach argv.
export const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
export const UNIT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.@-]{0,127}$/;

/** The unit running Redis on an SSH target, if its name is one systemctl may be given. */
export function unitOf(ctx: StepContext): string | undefined {
  const u = ctx.target.redis.unit ?? (ctx.target.kind === 'ssh' ? 'redis-server' : undefined);
  return u !== undefined && UNIT_NAME.test(u) ? u : undefined;
}

/** The bot's own drop-in: sorts after the usual override.conf and NN-*.conf, so its User= wins. */
export const dropInPath = (unit: string) =>
  `/etc/systemd/system/${unit}.service.d/zz-runbook-bot-service-user.conf`;

const parentOf = (path: string) => path.replace(/\/[^/]+\/?$/, '') || '/';

/** The log dir a service-user repair hands over: the targets file's, else that of the log file Redis names. */
export function logDirOf(ctx: StepContext): string | undefined {
  const file = str(ctx.facts, 'redis.logfile');
  const dir = ctx.target.redis.logDir ?? (file ? parentOf(file) : undefined);
  return dir !== undefined && isSafeDataDir(dir) ? dir : undefined;
}
