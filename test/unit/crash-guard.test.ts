import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { installCrashGuard } from '../../src/crash-guard.js';

describe('the crash guard', () => {
  it('logs what no handler caught, redacted, and counts it', () => {
    const proc = new EventEmitter();
    const lines: { fields: Record<string, unknown>; msg: string }[] = [];
    const log = {
      info: () => undefined,
      warn: () => undefined,
      error: (fields: object, msg?: string) => void lines.push({ fields: fields as never, msg: msg ?? '' }),
    };
    const guard = installCrashGuard(proc, log, () => ['s3cret-value']);
    proc.emit('unhandledRejection', new Error('token s3cret-value leaked'));
    proc.emit('uncaughtException', new TypeError("Cannot read properties of null (reading 'ssl_check')"));
    expect(guard.caught()).toBe(2);
    expect(lines.map((l) => l.msg)).toEqual([
      'unhandled rejection; still serving',
      'uncaught exception; still serving',
    ]);
    expect(JSON.stringify(lines)).not.toContain('s3cret-value');
    expect(String(lines[1]?.fields.err)).toMatch(/ssl_check[\s\S]*at /);
  });
});
