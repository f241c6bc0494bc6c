import { describe, expect, it } from 'vitest';
import { cutUtf8, OutputCapture } from '../../src/executors/output.js';
import { killByMarkerArgv, MARKER_VAR, shellJoin, withTimeout } from '../../src/executors/remote-command.js';
import { fingerprintOf } from '../../src/executors/ssh-connection.js';
import { parseInspect } from '../../src/executors/ssh-inspect.js';

describe('output capture', () => {
  it('keeps the first bytes and flags the rest', () => {
    const c = new OutputCapture(5);
    c.push(Buffer.from('abc'));
    c.push(Buffer.from('defg'));
    c.push('h');
    expect(c.text()).toBe('abcde');
    expect(c.truncated).toBe(true);
  });

  it('cuts UTF-8 on a character boundary', () => {
    expect(cutUtf8('ab€', 4)).toEqual({ text: 'ab', cut: true });
    expect(cutUtf8('ab€', 5)).toEqual({ text: 'ab€', cut: false });
  });
});

describe('remote commands', () => {
  it('wraps argv in timeout with whole seconds, rounding up', () => {
    expect(withTimeout(['sleep', '9'], 1500)).toEqual(['timeout', '-s', 'KILL', '2', 'sleep', '9']);
    expect(withTimeout(['x'], 10)).toEqual(['timeout', '-s', 'KILL', '1', 'x']);
  });

  it('passes the kill marker as an argument, never as code', () => {
    const argv = killByMarkerArgv('m-1');
    expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(argv[2]).not.toContain('m-1');
    expect(argv.slice(3)).toEqual(['sh', `${MARKER_VAR}=m-1`]);
  });

  it('quotes every argument that a shell would interpret', () => {
    expect(shellJoin(['printf', '%s', "it's; $(id)\n`x`", ''])).toBe(`printf %s 'it'\\''s; $(id)\n\`x\`' ''`);
  });
});

describe('ssh host keys', () => {
  it('computes the fingerprint ssh-keygen -lf prints', () => {
    const blob = Buffer.from(
      'AAAAC3NzaC1lZDI1NTE5AAAAIJK5+fmdQezbOGVbSXdDutcuc0/1JB9X5AAxnEPUAWfU',
      'base64',
    );
    expect(fingerprintOf(blob)).toBe('SHA256:0XU/hERdF73lqRAqf07QccVljq0POGLsGOT0SsBtQVI');
  });
});

describe('ssh inspect parsing', () => {
  it('turns the script output into a process description with a redacted command line', () => {
    const out = [
      'listen=127.0.0.1:6379 [::1]:6379 ',
      'running=true',
      'pid=42',
      'name=redis-server',
      'uid=1001',
      'gid=1001',
      'user=autobot',
      'group=autobot',
      'groups= 1001 27',
      'exe=/usr/bin/redis-server',
      'cwd=/var/lib/redis',
      'cmdline=redis-server *:6379 --requirepass pw',
    ].join('\n');
    expect(parseInspect(out, 6379, (s) => s.replace('pw', 'X'))).toEqual({
      running: true,
      port: 6379,
      listen: ['127.0.0.1:6379', '[::1]:6379'],
      pid: 42,
      name: 'redis-server',
      uid: 1001,
      gid: 1001,
      user: 'autobot',
      group: 'autobot',
      groups: [1001, 27],
      exe: '/usr/bin/redis-server',
      cwd: '/var/lib/redis',
      cmdline: 'redis-server *:6379 --requirepass X',
    });
    expect(parseInspect('running=false\n', 1, (s) => s)).toEqual({ running: false, port: 1 });
  });
});
