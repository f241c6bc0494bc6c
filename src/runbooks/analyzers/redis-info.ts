/** INFO output as field → value; section headers and blank lines dropped. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1));
  }
  return fields;
}

export function infoNumber(info: Map<string, string>, field: string): number | undefined {
  const v = info.get(field);
  if (v === undefined || !/^-?\d+(\.\d+)?$/.test(v)) return undefined;
  return Number(v);
}

/** The INFO line for a field, verbatim, for evidence. */
export const infoLine = (info: Map<string, string>, field: string) =>
  info.has(field) ? `${field}:${info.get(field)}` : `${field}: (absent)`;

/** CONFIG GET prints name and value on alternating lines. */
export function parseConfigGet(text: string): Map<string, string> {
  const lines = text.split(/\r?\n/).filter((l, i, all) => i < all.length - 1 || l !== '');
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) out.set(lines[i] ?? '', lines[i + 1] ?? '');
  return out;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 * 1024) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 * 1024) return `${(n / 1024 ** 2).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
