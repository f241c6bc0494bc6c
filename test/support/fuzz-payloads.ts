// Random and mutated Slack requests, from a seed, so a failing run can be repeated exactly.

export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick };
}
export type Rng = ReturnType<typeof prng>;

const NASTY = [
  '',
  ' ',
  'null',
  '[]',
  '{}',
  '0',
  '-1',
  'true',
  '; rm -rf /',
  '$(id)',
  '`reboot`',
  '<!channel>',
  '<@U_BOB>',
  '<http://x|y>',
  '&amp;',
  '\u0000',
  '\u202e',
  '💥',
  '../../etc/passwd',
  'INC-0001',
  'INC-0001; FLUSHALL',
  '%00',
  'a'.repeat(5000),
];

const WORDS = [
  'run',
  'status',
  'list',
  'cancel',
  'report',
  'help',
  'redis-permissions',
  'redis-connectivity',
  'cache',
  'INC-0001',
  'INC-9999',
];

export function randomString(r: Rng): string {
  switch (r.int(4)) {
    case 0:
      return r.pick(NASTY);
    case 1:
      return Array.from({ length: 1 + r.int(5) }, () => r.pick(WORDS)).join(' ');
    case 2:
      return String.fromCharCode(...Array.from({ length: r.int(40) }, () => r.int(0xffff)));
    default:
      return `${r.pick(WORDS)} ${r.pick(NASTY)}`;
  }
}

function randomJson(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 2 ? 4 : 6)) {
    case 0:
      return null;
    case 1:
      return r.int(1e6) - 5e5;
    case 2:
      return randomString(r);
    case 3:
      return r.next() < 0.5;
    case 4:
      return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: r.int(4) }, () => [randomString(r).slice(0, 12), randomJson(r, depth + 1)]),
      );
  }
}

/** Replaces, drops or retypes one field somewhere in a JSON value. */
export function mutate(r: Rng, value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 4 || r.next() < 0.2) return randomJson(r);
  if (Array.isArray(value)) {
    if (value.length === 0) return [randomJson(r)];
    const i = r.int(value.length);
    return value.map((v, j) => (j === i ? mutate(r, v, depth + 1) : v));
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return { [randomString(r)]: randomJson(r) };
  const [k] = r.pick(entries);
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (r.next() < 0.25) delete out[k];
  else out[k] = mutate(r, out[k], depth + 1);
  return out;
}

/** A slash command body: a valid one with random text, or a mutated form. */
export function slashBody(r: Rng, base: Record<string, string>): string {
  const form = { ...base, text: randomString(r) };
  if (r.next() < 0.5) return new URLSearchParams(form).toString();
  const mutated = mutate(r, form);
  if (mutated === null || typeof mutated !== 'object' || Array.isArray(mutated))
    return new URLSearchParams({ text: String(mutated) }).toString();
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(mutated))
    params.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  if (r.next() < 0.1) params.append('text', randomString(r)); // a duplicate key
  return params.toString();
}

/** An interaction body: a mutated copy of a real click's payload, or raw garbage in `payload`. */
export function actionBody(r: Rng, payload: Record<string, unknown>): string {
  if (r.next() < 0.15) return new URLSearchParams({ payload: randomString(r) }).toString();
  return new URLSearchParams({ payload: JSON.stringify(mutate(r, payload)) }).toString();
}
