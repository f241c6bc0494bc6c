// "Did you mean …?" for a name typed slightly wrong. Only a suggestion: nothing is ever started on a
// guess, the person types the command again.

/** Edits (insert, delete, substitute, swap two neighbours) from a to b, or `cap + 1` once it exceeds cap. */
export function editDistance(a: string, b: string, cap = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (prev2[j - 2] ?? 0) + 1);
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > cap) return cap + 1;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length] ?? cap + 1;
}

/**
 * How many edits still count as a near miss of a name: one for short names, up to three for long
 * ones, so "stauts" finds `status` and "redis-permision" finds `redis-permissions`, while "log" is
 * not taken for `list`.
 */
export const nearMissThreshold = (name: string) => Math.min(3, Math.max(1, Math.floor(name.length / 4)));

/**
 * The known names closest to what was typed, within the threshold (case ignored): the best ones, at
 * most three, in the order they are known. Failing those, the names the typed text begins (at least
 * three characters typed).
 */
export function nearMisses(typed: string, known: readonly string[]): string[] {
  const t = typed.toLowerCase();
  if (t === '') return [];
  const scored = known.map((name) => {
    const n = name.toLowerCase();
    const cap = nearMissThreshold(n);
    return { name, d: editDistance(t, n, cap), cap };
  });
  const close = scored.filter((s) => s.d <= s.cap);
  const best = Math.min(...close.map((s) => s.d));
  const found = close.filter((s) => s.d === best).map((s) => s.name);
  if (found.length > 0) return found.slice(0, 3);
  const prefixed = t.length >= 3 ? known.filter((n) => n.toLowerCase().startsWith(t)) : [];
  return prefixed.slice(0, 3);
}

/** "`a`", "`a` or `b`", "`a`, `b` or `c`". */
export function orList(names: readonly string[]): string {
  const q = names.map((n) => `\`${n}\``);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} or ${q.at(-1)}`;
}
