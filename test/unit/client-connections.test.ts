import { describe, expect, it } from 'vitest';
import { parseProcNetTcp } from '../../src/runbooks/analyzers/proc-net-tcp.js';
import { parseClientList } from '../../src/runbooks/library/client-list.js';
import { engineDriver } from '../support/engine-driver.js';
import { loadRehearsal } from '../support/rehearsal-fixture.js';
import { res } from '../support/toy-runbook.js';

// Seed 004's "who holds the connections", from the kernel's socket tables and Redis's CLIENT LIST,
// with no netstat anywhere.
const TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0500590A:A1B2 0400590A:18EB 01 00000000:00000000 00:00000000 00000000   999        0 1 1',
  '   1: 0500590A:A1B3 0400590A:18EB 06 00000000:00000000 00:00000000 00000000   999        0 2 1',
  '   2: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1',
].join('\n');
const TCP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0000000000000000FFFF00000500590A:C350 0000000000000000FFFF00000400590A:18EB 01 00000000:00000000 00:00000000 00000000   999        0 4 1',
  '   1: 00000000000000000000000001000000:C351 00000000000000000000000001000000:18EB 01 00000000:00000000 00:00000000 00000000   999        0 5 1',
].join('\n');

describe('/proc/net/tcp', () => {
  it('decodes established connections, IPv4, v4-mapped and v6, and drops the rest', () => {
    expect(parseProcNetTcp(`${TCP}\n${TCP6}\n`)).toEqual([
      { local: '10.89.0.5', localPort: 0xa1b2, remote: '10.89.0.4', remotePort: 6379 },
      { local: '10.89.0.5', localPort: 50000, remote: '10.89.0.4', remotePort: 6379 },
      { local: '::1', localPort: 50001, remote: '::1', remotePort: 6379 },
    ]);
  });
  it('IPv6 as inet_ntop prints it (Redis CLIENT LIST compares with that); tcp6 alone has its own header', () => {
    const row = (hex: string) =>
      `  sl  local_address                         remote_address                        st\n   0: ${hex}:C350 ${hex}:18EB 01 0\n`;
    const ip = (hex: string) => parseProcNetTcp(row(hex))?.[0]?.local;
    expect(ip('000080FE00000000FF005002010000FE')).toBe('fe80::250:ff:fe00:1');
    expect(ip('B80D0120000000000000000001000000')).toBe('2001:db8::1');
    expect(ip('B80D0120000000000100000001000000')).toBe('2001:db8::1:0:1');
    expect(ip('B80D0120000000000000010001000000')).toBe('2001:db8::1:0:0:1');
  });

  it('text with no table is not a reading', () => {
    expect(parseProcNetTcp('sh: cat: not found\n')).toBeUndefined();
    expect(parseProcNetTcp(TCP.split('\n')[0] ?? '')).toEqual([]);
  });
});

describe('CLIENT LIST', () => {
  it('reads id, addr, idle, flags and the subscriptions', () => {
    const [sub, plain] = parseClientList(
      'id=3 addr=10.89.0.5:41220 laddr=10.89.0.4:6379 fd=8 name= age=40 idle=40 flags=P db=0 sub=1 psub=0 cmd=subscribe\n' +
        'id=9 addr=10.89.0.5:41221 fd=9 name=worker age=3 idle=0 flags=N db=0 sub=0 psub=0 cmd=get\nnoise\n',
    );
    expect(sub).toMatchObject({ id: '3', addr: '10.89.0.5:41220', idle: 40, pubsub: true });
    expect(plain).toMatchObject({ id: '9', name: 'worker', pubsub: false });
  });
});

describe('the pub/sub leak, replayed from the lab', () => {
  const fx = loadRehearsal('pubsub-leak.redis-connectivity.json');
  const drive = (answer: (id: string) => ReturnType<typeof res> | undefined) =>
    engineDriver(fx.runbook, {
      target: fx.target,
      answer: (id, _r, key) => answer(id) ?? fx.results[key],
    }).run().state;

  it('the subscribers are mapped to the app by their addresses, and closing them is proposed by ID', () => {
    const s = drive(() => undefined);
    expect(s.cause).toBe('pubsub-leak');
    const finding = Object.values(s.steps)
      .flatMap((r) => r.findings)
      .find((f) => f.code === 'pubsub-idle');
    expect(finding?.statement).toMatch(
      /^app holds 8 idle pub\/sub connections .*CONFIG SET timeout does not close/,
    );
  });

  it('with the app socket table unread, the connections are not pinned on it and nothing is closed on a guess', () => {
    const s = drive((id) =>
      id === 'client-connections' ? res('', { exitCode: 126, stderr: 'sh: not found' }) : undefined,
    );
    const finding = Object.values(s.steps)
      .flatMap((r) => r.findings)
      .find((f) => f.code === 'pubsub-idle');
    expect(finding?.statement ?? '').not.toMatch(/^app /);
    expect(s.status).not.toBe('no-fault');
  });
});
