import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

export interface LogLine {
  msg?: string;
  jobId?: string;
  step?: string;
  incident?: string;
  [k: string]: unknown;
}

/** `node dist/cli.js serve --role worker` (or another role) as a real child process, with its JSON log lines kept. */
export class WorkerProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  private readonly proc: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    env: Record<string, string>,
    role: 'worker' | 'bot' = 'worker',
  ) {
    this.proc = spawn(process.execPath, [CLI, 'serve', '--role', role], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buf = '';
    this.proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const p of parts) {
        try {
          this.lines.push(JSON.parse(p) as LogLine);
        } catch {
          this.stderr.push(p);
        }
      }
    });
    this.proc.stderr?.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((r) => this.proc.once('exit', (code) => r(code)));
  }

  started(): LogLine[] {
    return this.lines.filter((l) => l.msg === 'step started');
  }

  async waitFor(pred: (l: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find(pred);
      if (hit) return hit;
      if (Date.now() > until)
        throw new Error(`${this.name}: no matching log line; stderr: ${this.stderr.join('')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    this.proc.kill(signal);
    return this.exited;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) await this.kill('SIGTERM');
  }
}
