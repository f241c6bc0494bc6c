import { z } from 'zod';

const portMap = z
  .record(
    z.string(),
    z.array(z.object({ HostIp: z.string().optional(), HostPort: z.string().optional() })).nullish(),
  )
  .nullish();

// The parts of `docker inspect` the runbooks read; everything else passes through untouched.
const inspectSchema = z.object({
  Name: z.string().optional(),
  State: z
    .object({
      Status: z.string().optional(),
      Running: z.boolean().optional(),
      Restarting: z.boolean().optional(),
      OOMKilled: z.boolean().optional(),
      ExitCode: z.number().optional(),
      Health: z.object({ Status: z.string().optional() }).nullish(),
    })
    .optional(),
  Config: z.object({ User: z.string().optional(), Image: z.string().optional() }).optional(),
  Mounts: z
    .array(
      z.object({
        Type: z.string().optional(),
        Source: z.string().optional(),
        Destination: z.string().optional(),
      }),
    )
    .nullish(),
  NetworkSettings: z
    .object({ Networks: z.record(z.string(), z.unknown()).nullish(), Ports: portMap })
    .optional(),
  HostConfig: z.object({ PortBindings: portMap }).optional(),
});

/** `docker inspect` prints an array of one; an object is taken as it is. Undefined: not JSON. */
export function inspectRoot(stdout: string): unknown {
  try {
    const json: unknown = JSON.parse(stdout);
    return Array.isArray(json) ? json[0] : json;
  } catch {
    return undefined;
  }
}

export interface ContainerView {
  name: string;
  status: string;
  running: boolean;
  restarting: boolean;
  oomKilled: boolean;
  exitCode: number;
  health?: string;
  user: string;
  mounts: { type: string; source: string; destination: string }[];
  networks: string[];
  /** Host addresses each container port is published on (`6379/tcp` → `0.0.0.0:6380`); absent: unread. */
  published?: Record<string, string[]>;
}

/** Seed 000: a port published nowhere is reached over Docker networks only, by design. */
function publishedPorts(d: z.infer<typeof inspectSchema>): Record<string, string[]> | undefined {
  if (!d.NetworkSettings) return undefined;
  const out: Record<string, string[]> = {};
  for (const map of [d.HostConfig?.PortBindings, d.NetworkSettings.Ports])
    for (const [port, bindings] of Object.entries(map ?? {})) {
      const on = (bindings ?? [])
        .filter((b) => b.HostPort !== undefined && b.HostPort !== '')
        .map((b) => `${b.HostIp || '0.0.0.0'}:${b.HostPort}`);
      out[port] = [...new Set([...(out[port] ?? []), ...on])];
    }
  return out;
}

export function parseInspect(stdout: string): ContainerView | null {
  const parsed = inspectSchema.safeParse(inspectRoot(stdout));
  if (!parsed.success) return null;
  const d = parsed.data;
  // Without a state there is nothing to read: "not running" would be a guess.
  if (d.State?.Running === undefined) return null;
  const health = d.State?.Health?.Status;
  const published = publishedPorts(d);
  return {
    name: (d.Name ?? '').replace(/^\//, ''),
    status: d.State?.Status ?? 'unknown',
    running: d.State?.Running ?? false,
    restarting: d.State?.Restarting ?? false,
    oomKilled: d.State?.OOMKilled ?? false,
    exitCode: d.State?.ExitCode ?? 0,
    ...(health ? { health } : {}),
    user: d.Config?.User ?? '',
    mounts: (d.Mounts ?? []).map((m) => ({
      type: m.Type ?? '',
      source: m.Source ?? '',
      destination: m.Destination ?? '',
    })),
    networks: Object.keys(d.NetworkSettings?.Networks ?? {}),
    ...(published ? { published } : {}),
  };
}
