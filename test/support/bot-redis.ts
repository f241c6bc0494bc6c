import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, OwnRedis } from '@runbook-bot/demo';

export { freePort };

/** The bot's Redis for a test: the demo's own redis-server, in a throwaway folder. */
export class BotRedis {
  private constructor(private readonly redis: OwnRedis) {}

  static async start(): Promise<BotRedis> {
    return new BotRedis(await OwnRedis.start(mkdtempSync(join(tmpdir(), 'rbb-bot-redis-'))));
  }

  get url() {
    return this.redis.url;
  }

  get port() {
    return this.redis.port;
  }

  restart(signal: NodeJS.Signals = 'SIGTERM') {
    return this.redis.restart(signal);
  }

  async stop(): Promise<void> {
    await this.redis.stop();
    rmSync(this.redis.dir, { recursive: true, force: true });
  }
}
