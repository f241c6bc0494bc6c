// Seed 000's "connection refused" from the host: a Redis container that publishes no port is
// reachable over its Docker networks only, by design. Read from the container's own port bindings.
type Binding = { HostIp?: unknown; HostPort?: unknown };
const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const boundTo = (v: unknown): Binding[] => (Array.isArray(v) ? v.filter((b) => obj(b) !== undefined) : []);

/** The host addresses Redis's port is published on; undefined when the inspect output is not one. */
export function publishedOn(stdout: string, port: number): string[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const info = obj(Array.isArray(json) ? json[0] : json);
  const settings = obj(info?.NetworkSettings);
  if (!info || !settings) return undefined;
  const key = `${port}/tcp`;
  const all = [
    ...boundTo(obj(obj(info.HostConfig)?.PortBindings)?.[key]),
    ...boundTo(obj(settings.Ports)?.[key]),
  ];
  const seen = all
    .filter((b) => typeof b.HostPort === 'string' && b.HostPort !== '')
    .map((b) => `${typeof b.HostIp === 'string' && b.HostIp !== '' ? b.HostIp : '0.0.0.0'}:${b.HostPort}`);
  return [...new Set(seen)];
}
