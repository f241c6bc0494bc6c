import { describe, expect, it } from 'vitest';
import { Deadline } from '../../src/executors/deadline.js';
import { ExecLanes, type LaneIO, type LaneMember, type Waiting } from '../../src/executors/exec-lane.js';
import type { ResultParts } from '../../src/executors/output.js';

interface Cmd extends LaneMember {
  name: string;
}

// A fake container engine that sets execs up one at a time, on the test's word.
function engine() {
  const execs: { names: string[]; start: () => void; finish: () => void }[] = [];
  let handBackNext: string | undefined;
  const io: LaneIO<Cmd> = {
    solo: (m, started) =>
      new Promise<ResultParts>((resolve) => {
        execs.push({ names: [m.name], start: started, finish: () => resolve({ stdout: m.name }) });
      }),
    batch: (group: Waiting<Cmd>[], started, handBack) =>
      new Promise<void>((resolve) => {
        execs.push({
          names: group.map((w) => w.member.name),
          start: started,
          finish: () => {
            for (const w of group) {
              if (w.member.name === handBackNext) handBack(w);
              else w.resolve({ stdout: w.member.name });
            }
            resolve();
          },
        });
      }),
  };
  return {
    execs,
    io,
    handBack: (name: string) => {
      handBackNext = name;
    },
  };
}

const cmd = (name: string, key = 'root', ms = 10_000): Cmd => ({ name, key, deadline: new Deadline(ms) });
const flush = () => new Promise((r) => setImmediate(r));

describe('exec lanes', () => {
  it('starts the first at once and sends those that arrive during its set-up together', async () => {
    const e = engine();
    const lanes = new ExecLanes(e.io);
    const results = ['a', 'b', 'c', 'd'].map((n) => lanes.run('redis', cmd(n)));
    expect(e.execs.map((x) => x.names)).toEqual([['a']]);
    e.execs[0]?.start();
    expect(e.execs.map((x) => x.names)).toEqual([['a'], ['b', 'c', 'd']]);
    for (const x of e.execs) x.finish();
    expect((await Promise.all(results)).map((r) => r.stdout)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('never waits for a command to finish, only for the set-up', async () => {
    const e = engine();
    const lanes = new ExecLanes(e.io);
    void lanes.run('redis', cmd('hangs'));
    e.execs[0]?.start();
    const quick = lanes.run('redis', cmd('quick'));
    expect(e.execs.map((x) => x.names)).toEqual([['hangs'], ['quick']]);
    e.execs[1]?.finish();
    expect((await quick).stdout).toBe('quick');
  });

  it('keeps containers and users apart', () => {
    const e = engine();
    const lanes = new ExecLanes(e.io);
    void lanes.run('redis', cmd('r1'));
    void lanes.run('app', cmd('a1'));
    void lanes.run('redis', cmd('r2', 'redis-user'));
    void lanes.run('redis', cmd('r3'));
    void lanes.run('redis', cmd('r4', 'redis-user'));
    expect(e.execs.map((x) => x.names)).toEqual([['r1'], ['a1']]);
    e.execs[0]?.start();
    expect(e.execs.map((x) => x.names)).toEqual([['r1'], ['a1'], ['r2', 'r4']]);
    e.execs[2]?.start();
    expect(e.execs.map((x) => x.names)).toEqual([['r1'], ['a1'], ['r2', 'r4'], ['r3']]);
  });

  it('runs a member a batch hands back in an exec of its own', async () => {
    const e = engine();
    const lanes = new ExecLanes(e.io);
    const all = ['a', 'b', 'c'].map((n) => lanes.run('redis', cmd(n)));
    e.execs[0]?.start();
    e.handBack('c');
    e.execs[1]?.start();
    e.execs[1]?.finish();
    expect(e.execs.map((x) => x.names)).toEqual([['a'], ['b', 'c'], ['c']]);
    e.execs[2]?.start();
    e.execs[2]?.finish();
    e.execs[0]?.finish();
    expect((await Promise.all(all)).map((r) => r.stdout)).toEqual(['a', 'b', 'c']);
  });

  it('says a command whose time ran out while it waited was stopped, and never starts it', async () => {
    const e = engine();
    const lanes = new ExecLanes(e.io);
    void lanes.run('redis', cmd('first'));
    const late = lanes.run('redis', cmd('late', 'root', 5));
    await new Promise((r) => setTimeout(r, 20));
    e.execs[0]?.start();
    const r = await late;
    expect(r).toMatchObject({ timedOut: true, exitCode: null, error: 'timed out after 5 ms' });
    expect(e.execs.map((x) => x.names)).toEqual([['first']]);
  });

  it('gives each member the error of a batch that could not start', async () => {
    const lanes = new ExecLanes<Cmd>({
      solo: async (_m, started) => {
        started();
        throw new Error('no such container');
      },
      batch: async (_g, started) => {
        started();
        throw new Error('no such container');
      },
    });
    const all = ['a', 'b', 'c'].map((n) => lanes.run('gone', cmd(n)).catch((e: Error) => e.message));
    await flush();
    expect(await Promise.all(all)).toEqual(['no such container', 'no such container', 'no such container']);
  });
});
