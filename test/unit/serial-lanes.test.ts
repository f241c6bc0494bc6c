import { describe, expect, it } from 'vitest';
import { SerialLanes } from '../../src/incidents/serial-lanes.js';

const gate = () => {
  let open: () => void = () => {};
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
};

describe('serial lanes', () => {
  it('runs one task per key at a time; requests made while one waits are served by it', async () => {
    const lanes = new SerialLanes();
    const g = gate();
    const log: string[] = [];
    let runs = 0;
    const task = async () => {
      const n = ++runs;
      log.push(`start ${n}`);
      if (n === 1) await g.opened;
      log.push(`end ${n}`);
    };
    const first = lanes.request('INC-1', task);
    const more = [1, 2, 3, 4].map(() => lanes.request('INC-1', task));
    expect(runs).toBe(1);
    g.open();
    await Promise.all([first, ...more]);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('keeps incidents apart: one stuck lane holds back no other', async () => {
    const lanes = new SerialLanes();
    const stuck = gate();
    void lanes.request('INC-1', () => stuck.opened);
    let other = false;
    await lanes.request('INC-2', async () => {
      other = true;
    });
    expect(other).toBe(true);
    stuck.open();
    await lanes.idle();
  });

  it('hands a failure to its requesters and still runs the next one', async () => {
    const lanes = new SerialLanes();
    const g = gate();
    const failing = lanes.request('INC-1', async () => {
      await g.opened;
      throw new Error('slack is down');
    });
    let ran = false;
    const next = lanes.request('INC-1', async () => {
      ran = true;
    });
    g.open();
    await expect(failing).rejects.toThrow('slack is down');
    await next;
    expect(ran).toBe(true);
  });

  it('idle waits for every task, including those requested while others ran', async () => {
    const lanes = new SerialLanes();
    const done: string[] = [];
    void lanes.request('INC-1', async () => {
      await new Promise((r) => setTimeout(r, 5));
      void lanes.request('INC-2', async () => {
        await new Promise((r) => setTimeout(r, 5));
        done.push('INC-2');
      });
      done.push('INC-1');
    });
    await lanes.idle();
    expect(done).toEqual(['INC-1', 'INC-2']);
  });
});
