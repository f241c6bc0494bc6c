import { describe, expect, it } from 'vitest';
import { asRedisCliPrints, directRead } from '../../src/executors/direct-redis.js';

// How redis-cli prints a reply when its stdout is not a terminal; the lab test compares these with
// redis-cli itself on a real Redis (direct-redis.test.ts).
const printed = (args: string[], reply: Parameters<typeof asRedisCliPrints>[1]) =>
  asRedisCliPrints(args, reply).toString('utf8');

describe('direct Redis reads', () => {
  it('only the reads it can render go direct: never a write, a redis-cli option or an unknown form', () => {
    for (const args of [
      ['PING'],
      ['info'],
      ['INFO', 'persistence'],
      ['CONFIG', 'GET', '*'],
      ['ACL', 'WHOAMI'],
      ['ACL', 'USERS'],
      ['CLIENT', 'LIST'],
      ['DBSIZE'],
    ])
      expect(directRead(args), args.join(' ')).toBe(true);
    for (const args of [
      ['SET', 'k', 'v'],
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ['CONFIG', 'GET'],
      ['CLIENT', 'KILL', 'ID', '7'],
      ['BGSAVE'],
      ['--scan', '--pattern', 'x*'],
      ['INFO', 'persistence', 'extra', 'more'],
      ['EVAL', 'return 1', '0'],
      ['ACL', 'LOAD'],
    ])
      expect(directRead(args), args.join(' ')).toBe(false);
  });

  it('prints replies as redis-cli does: one newline after a reply, arrays one element a line, INFO and CLIENT LIST verbatim', () => {
    expect(printed(['PING'], 'PONG')).toBe('PONG\n');
    expect(printed(['PING'], Buffer.from('PONG'))).toBe('PONG\n');
    expect(printed(['DBSIZE'], 42)).toBe('42\n');
    expect(printed(['CONFIG', 'GET', 'dir'], [Buffer.from('dir'), Buffer.from('/data')])).toBe(
      'dir\n/data\n',
    );
    expect(printed(['CONFIG', 'GET', 'nothing'], [])).toBe('\n');
    expect(printed(['ACL', 'USERS'], [Buffer.from('app'), Buffer.from('default')])).toBe('app\ndefault\n');
    expect(printed(['CONFIG', 'GET', 'x'], null)).toBe('\n');
    expect(printed(['INFO', 'persistence'], Buffer.from('# Persistence\r\nloading:0\r\n'))).toBe(
      '# Persistence\r\nloading:0\r\n',
    );
    expect(printed(['client', 'list'], Buffer.from('id=3 addr=1.2.3.4:5 cmd=client|list\n'))).toBe(
      'id=3 addr=1.2.3.4:5 cmd=client|list\n',
    );
  });
});
