// /proc/net/tcp and /proc/net/tcp6 as the kernel prints them: every Linux container has them, with
// or without netstat or ss. Addresses are hex in host byte order per 32-bit word, ports big-endian.
export interface TcpConnection {
  local: string;
  remote: string;
  localPort: number;
  remotePort: number;
}

const ESTABLISHED = '01';

function word(hex: string): number[] {
  const n = Number.parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

function address(hex: string): string | undefined {
  if (hex.length === 8) return word(hex).join('.');
  if (hex.length !== 32) return undefined;
  const bytes = [0, 8, 16, 24].flatMap((i) => word(hex.slice(i, i + 8)));
  // An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d; Redis's CLIENT LIST says a.b.c.d.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return compressV6(groups);
}

/** RFC 5952, as inet_ntop prints it and so Redis's CLIENT LIST: the longest run of 0 groups (2+) as `::`. */
function compressV6(groups: string[]): string {
  let best = { at: -1, len: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  if (best.len < 2) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

function endpoint(text: string): { ip: string; port: number } | undefined {
  const m = /^([0-9A-Fa-f]+):([0-9A-Fa-f]{4})$/.exec(text);
  const ip = m?.[1] ? address(m[1]) : undefined;
  return ip && m?.[2] ? { ip, port: Number.parseInt(m[2], 16) } : undefined;
}

/** Established connections, or undefined when the text holds no table (so nothing was read). */
export function parseProcNetTcp(text: string): TcpConnection[] | undefined {
  // tcp says rem_address, tcp6 remote_address.
  if (!/^\s*sl\s+local_address\s+rem(?:ote)?_address\s+st\b/m.test(text)) return undefined;
  const out: TcpConnection[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (!/^\d+:$/.test(cols[0] ?? '') || cols[3] !== ESTABLISHED) continue;
    const local = endpoint(cols[1] ?? '');
    const remote = endpoint(cols[2] ?? '');
    if (!local || !remote) continue;
    out.push({ local: local.ip, localPort: local.port, remote: remote.ip, remotePort: remote.port });
  }
  return out;
}

export const joinEndpoint = (ip: string, port: number) =>
  ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
