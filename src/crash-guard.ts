import type { Logger } from './incidents/ports.js';
import { redact } from './runbooks/redact.js';

// The last line of defence: an error no handler caught is a bug, logged with its stack so it can be
// fixed, and the process keeps serving. Exiting would take the in-process workers and every open
// request down with it, which is what a request crafted from outside would want.

interface ProcessEvents {
  on(event: 'unhandledRejection', f: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', f: (error: Error) => void): unknown;
}

export function installCrashGuard(proc: ProcessEvents, log: Logger, secrets: () => readonly string[]) {
  let count = 0;
  const describe = (e: unknown) =>
    redact(e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e), secrets());
  proc.on('unhandledRejection', (reason) => {
    count++;
    log.error({ err: describe(reason), caughtByGuard: count }, 'unhandled rejection; still serving');
  });
  proc.on('uncaughtException', (error) => {
    count++;
    log.error({ err: describe(error), caughtByGuard: count }, 'uncaught exception; still serving');
  });
  return { caught: () => count };
}
