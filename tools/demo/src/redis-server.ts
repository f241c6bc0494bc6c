import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port')),
      );
    });
  });
}

const answers = (port: number) =>
  spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8', timeout: 2000 }).stdout?.trim() ===
  'PONG';

/** A redis-server of our own on loopback, persisting with AOF under `dir`, like the bot's Redis should. */
export class OwnRedis {
  private proc: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(dir: string, port?: number): Promise<OwnRedis> {
    mkdirSync(dir, { recursive: true });
    const r = new OwnRedis(port ?? (await freePort()), dir);
    await r.up();
    return r;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async up(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir];
    this.proc = spawn(
      'redis-server',
      [...args, '--appendonly', 'yes', '--save', '', '--protected-mode', 'no'],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 100; i++) {
      if (answers(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }

  private async down(signal: NodeJS.Signals): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
  }

  /** Stops it as an operator or a crash would, then starts it again on the same data. */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.down(signal);
    await this.up();
  }

  stop(): Promise<void> {
    return this.down('SIGTERM');
  }
}
