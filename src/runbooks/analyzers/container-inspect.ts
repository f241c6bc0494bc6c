import { z } from 'zod';

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
  NetworkSettings: z.object({ Networks: z.record(z.string(), z.unknown()).nullish() }).optional(),
});

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
}

export function parseInspect(stdout: string): ContainerView | null {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    return null;
  }
  const parsed = inspectSchema.safeParse(Array.isArray(json) ? json[0] : json);
  if (!parsed.success) return null;
  const d = parsed.data;
  // Without a state there is nothing to read: "not running" would be a guess.
  if (d.State?.Running === undefined) return null;
  const health = d.State?.Health?.Status;
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
  };
}
