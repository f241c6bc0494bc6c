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

/** The data directory: what Redis says, else what the log said, else the targets file, else /data. */
/** The data directory: the operator's word (targets file) first, then what Redis says, the log, /data. */
export function dataDirOf(ctx: StepContext): string {
  return ctx.target.redis.dataDir ?? str(ctx.facts, 'redis.dir') ?? str(ctx.facts, 'log.rdbDir') ?? '/data';
}

// A repair runs `chown -R` on the data directory as root: a Redis started from / (systemd's default
// working directory) or a hostile `dir` must never turn that into a chown of the system.
const SYSTEM_DIRS = new Set(
  '/ /bin /boot /dev /etc /home /lib /lib32 /lib64 /media /mnt /opt /proc /root /run /sbin /srv /sys /tmp /usr /usr/local /var /var/lib /var/log'.split(
    ' ',
  ),
);

export function isSafeDataDir(path: string): boolean {
  if (!SAFE_PATH.test(path)) return false;
  const segments = path.split('/').filter(Boolean);
  return !segments.some((s) => s === '.' || s === '..') && !SYSTEM_DIRS.has(`/${segments.join('/')}`);
}

export const clientFact = (client: string, what: string) => `client.${client}.${what}`;
