import { Redis } from 'ioredis';
import { quoteArg } from '../runbooks/action.js';
import type { ExecResult } from '../runbooks/result.js';

// Reads that may go over the worker's own connection: read-only, and with replies whose rendering
// by redis-cli (below) is known. Everything else runs as redis-cli in an exec, as shown.
const DIRECT: readonly (readonly string[])[] = [
  ['PING'],
  ['INFO'],
  ['INFO', '*'],
  ['CONFIG', 'GET', '*'],
  ['ACL', 'WHOAMI'],
  ['ACL', 'USERS'],
  ['CLIENT', 'LIST'],
  ['DBSIZE'],
];

/** Whether these redis-cli arguments are a read the direct connection may answer. */
export function directRead(args: readonly string[]): boolean {
  return DIRECT.some(
    (form) =>
      form.length === args.length &&
      form.every((w, i) => w === '*' || w.toUpperCase() === args[i]?.toUpperCase()),
  );
}

type Reply = Buffer | string | number | null | Reply[];

// redis-cli prints the replies of these verbatim, without the newline it adds after any other
// (its `output_raw` list: INFO, CLIENT LIST / CLIENT INFO among those we send).
const VERBATIM = (args: readonly string[]) => {
  const [a = '', b = ''] = args.map((x) => x.toUpperCase());
  return a === 'INFO' || (a === 'CLIENT' && (b === 'LIST' || b === 'INFO'));
};

/** What redis-cli prints for a reply when its stdout is not a terminal (RESP2, `--no-raw` off). */
export function asRedisCliPrints(args: readonly string[], reply: Reply): Buffer {
  const raw = (r: Reply): Buffer => {
    if (r === null) return Buffer.alloc(0);
    if (Buffer.isBuffer(r)) return r;
    if (Array.isArray(r)) {
      const parts: Buffer[] = [];
      r.forEach((x, i) => {
        if (i > 0) parts.push(Buffer.from('\n'));
        parts.push(raw(x));
      });
      return Buffer.concat(parts);
    }
    return Buffer.from(String(r));
  };
  return VERBATIM(args) ? raw(reply) : Buffer.concat([raw(reply), Buffer.from('\n')]);
}

export interface DirectAddress {
  host: string;
  port: number;
}

export interface DirectRedisOptions {
  /** Where to connect, looked up for each read (a container's address can change). */
  address: () => Promise<DirectAddress | undefined>;
  username?: string;
  password: () => string | undefined;
  /** Longest wait for a direct answer before the exec path is tried (default 2 s). */
  patienceMs?: number;
}

/**
 * Redis reads from the worker itself. Each read opens its own connection, logs in and closes, as
 * redis-cli does: a PING or ACL WHOAMI then says what a new client meets now (a full client table, a
 * changed password), never what a connection opened earlier still gets. It answers a read cleanly or
 * not at all: an error reply, a refused or hung connection, a failed AUTH all return undefined, and
 * the caller reads it the usual way, so the evidence for every fault is what redis-cli prints.
 */
export class DirectRedis {
  private readonly open = new Set<Redis>();

  constructor(private readonly o: DirectRedisOptions) {}

  async read(args: readonly string[], budgetMs: number): Promise<ExecResult | undefined> {
    const patience = Math.min(this.o.patienceMs ?? 2000, budgetMs / 3);
    const t0 = Date.now();
    const [command, ...rest] = args;
    let redis: Redis | undefined;
    try {
      const at = await this.o.address();
      if (!at || !command) return undefined;
      const password = this.o.password();
      redis = new Redis({
        host: at.host,
        port: at.port,
        ...(this.o.username ? { username: this.o.username } : {}),
        ...(password !== undefined ? { password } : {}),
        lazyConnect: true,
        connectTimeout: Math.max(100, patience),
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableReadyCheck: false,
        // As redis-cli speaks (no HELLO, and what CLIENT LIST shows of us reads the same).
        protocol: 2,
      });
      // Failures are read as "not answered"; ioredis must not print them as unhandled.
      redis.on('error', () => undefined);
      this.open.add(redis);
      const conn = redis;
      const reply = (await withTimeout(
        conn.connect().then(() => conn.callBuffer(command, ...rest)),
        Math.max(1, patience - (Date.now() - t0)),
      )) as Reply;
      const user = this.o.username ? ['--user', this.o.username] : [];
      const argv = ['redis-cli', '-h', at.host, '-p', String(at.port), ...user, ...args];
      return {
        exitCode: 0,
        stdout: asRedisCliPrints(args, reply).toString('utf8'),
        stderr: '',
        durationMs: Date.now() - t0,
        timedOut: false,
        unreachable: false,
        truncated: false,
        via: `${argv.map(quoteArg).join(' ')}   (from the worker, direct connection)`,
      };
    } catch {
      return undefined;
    } finally {
      if (redis) {
        this.open.delete(redis);
        redis.disconnect();
      }
    }
  }

  async close(): Promise<void> {
    for (const r of this.open) r.disconnect();
    this.open.clear();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
