import type Docker from 'dockerode';
import { type CommandOutput, execIn } from './docker.js';
import { runHost } from './host.js';
import { LabError } from './lab-error.js';

/** redis-cli inside a lab container (towards `host`, default 127.0.0.1), or on this machine's loopback. */
export type RedisCliPlace =
  | { docker: Docker; container: string; host?: string; port?: number }
  | { host: '127.0.0.1' | 'localhost'; port: number };

/** A probe for tests: the password goes in REDISCLI_AUTH, never in argv. */
export function redisCli(
  place: RedisCliPlace,
  args: readonly string[],
  opts: { password?: string } = {},
): Promise<CommandOutput> {
  const port = String(place.port ?? 6379);
  if ('docker' in place) {
    const argv = ['redis-cli', '-h', place.host ?? '127.0.0.1', '-p', port, ...args];
    const env = opts.password !== undefined ? [`REDISCLI_AUTH=${opts.password}`] : undefined;
    return execIn(place.docker, place.container, argv, { timeoutSec: 10, ...(env ? { env } : {}) });
  }
  // Host-side probes only ever go to loopback: the lab never sends traffic to other addresses.
  if (place.host !== '127.0.0.1' && place.host !== 'localhost') {
    throw new LabError(`host probes go to loopback only, not ${String(place.host)}`);
  }
  return runHost(['redis-cli', '-h', place.host, '-p', port, ...args], {
    env: opts.password !== undefined ? { REDISCLI_AUTH: opts.password } : {},
    timeoutMs: 10_000,
  });
}
