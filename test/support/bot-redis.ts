import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A real redis-server for the bot's own state, with AOF like production, on a port of its own. */
export class BotRedis {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'rbb-bot-redis-'));
  private constructor(readonly port: number) {}

  static async start(): Promise<BotRedis> {
    const r = new BotRedis(await freePort());
    await r.up();
    return r;
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async up(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      if (await this.answers()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server on ${this.port} did not start`);
  }

  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const p = spawn('redis-cli', ['-p', String(this.port), 'ping']);
      let out = '';
      p.stdout.on('data', (d) => {
        out += d;
      });
      p.on('close', () => resolve(out.trim() === 'PONG'));
    });
  }

  private async down(signal: NodeJS.Signals): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
  }

  /** Stops Redis the way an operator or a crash would, then starts it again on the same data. */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.down(signal);
    await this.up();
  }

  async stop(): Promise<void> {
    await this.down('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
