import type Docker from 'dockerode';
import type { CommandOutput } from './docker.js';
import type { LabEnv } from './env.js';
import type { LabTarget, LabTargetInput } from './lab-target.js';

export const SCENARIO_NAMES = [
  'rdb-permission',
  'aof-permission',
  'wrong-network',
  'service-user-mismatch',
  'service-user-sudo',
  'service-user-sudo-refused',
  'container-stopped',
  'maxmemory',
  'maxclients',
  'auth-refused',
  'acl-only',
  'acl-not-loaded',
  'aclfile-missing',
  'healthy',
  'missing-container',
  'ssh-refused',
  'ssh-silent',
  'host-key-mismatch',
  'ssh-missing-key',
  'redis-frozen',
  'stale-logs-healthy',
  'persistence-off-root-dir',
  'group-writable-dir',
  'misconf-oom',
  'wrong-network-bgsave',
  'client-no-cli',
  'app-health',
  'app-health-stale',
  'app-unhealthy',
  'queue-stalled',
  'aof-rewrite-denied',
  'volatile-lru-full',
  'pubsub-leak',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface CliOptions {
  /** Run redis-cli in the Redis container (towards 127.0.0.1) or in the client container (by name). */
  from?: 'redis' | 'client';
  /** Sent as REDISCLI_AUTH, never in argv. */
  password?: string;
  /** Kill redis-cli after this long (default 10 s): a frozen Redis never answers. */
  timeoutSec?: number;
}

/** What a scenario's setup hands back; the runner adds names, validation and teardown. */
export interface ScenarioParts {
  /** The targets-file entry; the runner fills in the defaults the product's schema would. */
  target: LabTargetInput;
  env?: Record<string, string>;
  /** The real password of the target's Redis, for probes that check a fix (never in the target). */
  redisPassword?: string;
  /** The fault as setup observed it: log lines and replies, copied verbatim. */
  evidence: string[];
  redisCli(args: readonly string[], opts?: CliOptions): Promise<CommandOutput>;
  redisLogs(): Promise<string>;
  /**
   * SSH targets: runs a command with OpenSSH exactly as the target says (its key file, and a
   * known_hosts holding the key its fingerprint pins), so a fault in those facts shows up verbatim.
   */
  ssh?(command: string): Promise<CommandOutput>;
  /** Targets in a lab VM: runs argv as root inside it (podman exec), to read what really happened. */
  vmExec?(argv: readonly string[]): Promise<CommandOutput>;
}

export interface LabScenario extends Omit<ScenarioParts, 'target' | 'env'> {
  name: ScenarioName;
  prefix: string;
  targetName: string;
  target: LabTarget;
  env: Record<string, string>;
  teardown(): Promise<void>;
}

export interface ScenarioContext {
  docker: Docker;
  env: LabEnv;
  prefix: string;
  /** A container/network name owned by this scenario. */
  name(suffix: string): string;
  /** A host path owned by this scenario, directly under LAB_DIR. */
  hostPath(suffix: string): string;
}

export interface ScenarioDef {
  seed: string;
  description: string;
  setup(ctx: ScenarioContext): Promise<ScenarioParts>;
}
