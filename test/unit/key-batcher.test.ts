import { describe, expect, it } from 'vitest';
import { KeyBatcher, type Settled } from '../../src/incidents/key-batcher.js';

const ok = <O>(value: O): Settled<O> => ({ ok: true, value });
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('KeyBatcher', () => {
  it('what arrives while a batch runs goes into the next batch, in order, and each caller gets its own answer', async () => {
    const batches: string[][] = [];
    let release: () => void = () => undefined;
    const b = new KeyBatcher<string, string>(async (_key, items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return items.map((i) => ok(i.toUpperCase()));
    });
    const first = b.submit('INC-1', 'a');
    await tick();
    const rest = ['b', 'c', 'd'].map((x) => b.submit('INC-1', x));
    await tick();
    release();
    expect(await Promise.all([first, ...rest])).toEqual(['A', 'B', 'C', 'D']);
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('keys do not wait for each other', async () => {
    const running: string[] = [];
    let release: () => void = () => undefined;
    const b = new KeyBatcher<string, string>(async (key, items) => {
      running.push(key);
      if (key === 'slow') await new Promise<void>((r) => (release = r));
      return items.map(ok);
    });
    const slow = b.submit('slow', 'x');
    expect(await b.submit('fast', 'y')).toBe('y');
    expect(running).toEqual(['slow', 'fast']);
    release();
    expect(await slow).toBe('x');
  });

  it('a failed item rejects only its caller; a batch that throws rejects its own callers, and the next batch still runs', async () => {
    let calls = 0;
    const b = new KeyBatcher<string, string>(async (_key, items) => {
      calls++;
      if (items.includes('crash')) throw new Error('store down');
      return items.map((i) => (i === 'bad' ? { ok: false, error: new Error(`no ${i}`) } : ok(i)));
    });
    const [good, bad] = [b.submit('k', 'good'), b.submit('k', 'bad')];
    await expect(good).resolves.toBe('good');
    await expect(bad).rejects.toThrow('no bad');
    await expect(b.submit('k', 'crash')).rejects.toThrow('store down');
    await expect(b.submit('k', 'after')).resolves.toBe('after');
    expect(calls).toBe(4);
  });
});
