import { z } from 'zod';
import { quoteArg } from '../action.js';
import { inspectRoot } from './container-inspect.js';

// Seed 002, "secrets not mounted": which files the Redis container's command line names as the
// source of its users or password (an aclfile, a config file, a `$(cat /run/secrets/…)`), what is
// mounted where, and the command that recreates the container with its mounts. Read from
// `docker inspect`; nothing from Env is ever read here, so no secret can reach the command shown.

const inspectSchema = z.object({
  Name: z.string().optional(),
  Path: z.string().optional(),
  Args: z.array(z.string()).nullish(),
  Config: z
    .object({
      Image: z.string().optional(),
      Cmd: z.array(z.string()).nullish(),
      Labels: z.record(z.string(), z.string()).nullish(),
    })
    .optional(),
  HostConfig: z
    .object({
      NetworkMode: z.string().optional(),
      RestartPolicy: z.object({ Name: z.string().optional() }).nullish(),
    })
    .optional(),
  NetworkSettings: z.object({ Networks: z.record(z.string(), z.unknown()).nullish() }).optional(),
  Mounts: z
    .array(
      z.object({
        Type: z.string().optional(),
        Source: z.string().optional(),
        Name: z.string().optional(),
        Destination: z.string().optional(),
        RW: z.boolean().optional(),
      }),
    )
    .nullish(),
});

export type SourceKind = 'aclfile' | 'conf' | 'secret';
export interface AclSource {
  kind: SourceKind;
  path: string;
}
export interface AclSourceView {
  name: string;
  argv: string[];
  sources: AclSource[];
  mounts: { source: string; destination: string; rw: boolean; type: string }[];
  /** What a person runs to recreate the container with the mounts its definition declares. */
  recreate: string;
  /** The compose service, when the container carries compose's labels. */
  composeService?: string;
}

const PATH = /^\/[\w./-]*$/;
// Options whose value is a secret: replaced on the command shown, whatever the bot's redaction does.
const SECRET_OPTS = new Set(['--requirepass', '--masterauth', '--masteruser-password']);

function sourcesOf(argv: readonly string[]): AclSource[] {
  const out: AclSource[] = [];
  const add = (kind: SourceKind, path: string | undefined) => {
    if (path && PATH.test(path) && !out.some((s) => s.path === path)) out.push({ kind, path });
  };
  const server = argv.findIndex((a) => /(?:^|\/)redis-server$/.test(a));
  if (server >= 0) {
    const first = argv[server + 1];
    // redis-server's first argument is its config file when it is not an option.
    if (first !== undefined && !first.startsWith('-')) add('conf', first);
  }
  for (const [i, a] of argv.entries()) {
    if (a === '--aclfile') add('aclfile', argv[i + 1]);
    const eq = /^--aclfile=(.+)$/.exec(a);
    if (eq) add('aclfile', eq[1]);
    // A shell wrapper: `sh -c 'redis-server /etc/redis.conf --requirepass "$(cat /run/secrets/pw)"'`.
    for (const m of a.matchAll(/(?:^|\s)redis-server\s+(\/[\w./-]+\.conf)\b/g)) add('conf', m[1]);
    for (const m of a.matchAll(/--aclfile[\s=]+["']?(\/[\w./-]+)/g)) add('aclfile', m[1]);
    for (const m of a.matchAll(/\$\(\s*cat\s+["']?(\/[\w./-]+)["']?\s*\)|<\s*["']?(\/[\w./-]+)/g))
      add('secret', m[1] ?? m[2]);
  }
  return out;
}

// An ACL rule's password (`>pw`, `<pw`) or its hash (`#hex`, `!hex`), inline in `--user` or in a
// shell wrapper's `user …` rule: never shown.
const ACL_SECRET = /(^|\s)([<>#!])[^\s'"]+/g;
const hideAclSecrets = (a: string) => a.replace(ACL_SECRET, '$1$2<secret>');

function shownArgs(argv: readonly string[]): string[] {
  return argv.map((a, i) => {
    if (i > 0 && SECRET_OPTS.has(argv[i - 1] ?? '')) return '<password>';
    return (i > 0 && argv[i - 1] === '--user') || /--user[\s=]|\buser\s+\S+\s+on\b/.test(a)
      ? hideAclSecrets(a)
      : a;
  });
}

function recreateCommand(
  d: z.infer<typeof inspectSchema>,
  name: string,
  argv: string[],
  missing: readonly string[],
): { text: string; service?: string } {
  const labels = d.Config?.Labels ?? {};
  const project = labels['com.docker.compose.project'];
  const service = labels['com.docker.compose.service'];
  if (project && service) {
    const files = (labels['com.docker.compose.project.config_files'] ?? '').split(',').filter(Boolean);
    const dir = labels['com.docker.compose.project.working_dir'];
    const parts = [
      'docker compose',
      ...(dir ? ['--project-directory', quoteArg(dir)] : []),
      ...files.flatMap((f) => ['-f', quoteArg(f)]),
      '-p',
      quoteArg(project),
      'up -d --force-recreate',
      quoteArg(service),
    ];
    return { text: parts.join(' '), service };
  }
  const mounts = (d.Mounts ?? []).flatMap((m) => {
    const src = m.Type === 'volume' ? (m.Name ?? m.Source) : m.Source;
    return src && m.Destination
      ? [`-v ${quoteArg(`${src}:${m.Destination}${m.RW === false ? ':ro' : ''}`)}`]
      : [];
  });
  // The file that should be there has no known source on this host: the one placeholder left.
  const wanted = missing.map((p) => `-v ${quoteArg(`<host file for ${p}>:${p}:ro`)}`);
  // Podman reports NetworkMode `bridge` for a container on a named network: the names are the truth.
  const mode = d.HostConfig?.NetworkMode;
  const named = Object.keys(d.NetworkSettings?.Networks ?? {});
  const nets = mode && !['bridge', 'default'].includes(mode) ? [mode] : named;
  const restart = d.HostConfig?.RestartPolicy?.Name;
  const run = [
    'docker run -d --name',
    quoteArg(name),
    ...nets.flatMap((n) => ['--network', quoteArg(n)]),
    ...(restart && restart !== 'no' ? ['--restart', quoteArg(restart)] : []),
    ...mounts,
    ...wanted,
    quoteArg(d.Config?.Image ?? '<image>'),
    // The command as given (the image keeps its entrypoint); Path + Args when it is not recorded.
    ...shownArgs(d.Config?.Cmd ?? argv).map(quoteArg),
  ];
  return { text: `docker rm -f ${quoteArg(name)} && ${run.join(' ')}` };
}

/**
 * The sources named on the container's command line. `missing`: the paths the recreate command
 * mounts from a placeholder (the container does not record their host source); by default those
 * under no mount.
 */
export function parseAclSource(stdout: string, missing?: readonly string[]): AclSourceView | null {
  const parsed = inspectSchema.safeParse(inspectRoot(stdout));
  if (!parsed.success || parsed.data.Path === undefined) return null;
  const d = parsed.data;
  const name = (d.Name ?? '').replace(/^\//, '') || '<container>';
  const argv = [d.Path ?? '', ...(d.Args ?? [])];
  const view: AclSourceView = {
    name,
    argv: shownArgs(argv),
    sources: sourcesOf(argv),
    mounts: (d.Mounts ?? []).map((m) => ({
      source: m.Type === 'volume' ? (m.Name ?? m.Source ?? '') : (m.Source ?? ''),
      destination: m.Destination ?? '',
      rw: m.RW !== false,
      type: m.Type ?? '',
    })),
    recreate: '',
  };
  const unmounted = view.sources.filter((s) => !mountOf(view, s.path)).map((s) => s.path);
  const rc = recreateCommand(d, name, argv, missing ?? unmounted);
  return { ...view, recreate: rc.text, ...(rc.service ? { composeService: rc.service } : {}) };
}

/** The mount a path lies under, if any (the longest destination that contains it). */
export function mountOf(view: AclSourceView, path: string) {
  return view.mounts
    .filter((m) => path === m.destination || path.startsWith(`${m.destination.replace(/\/$/, '')}/`))
    .sort((a, b) => b.destination.length - a.destination.length)[0];
}

// The read-only check of each source inside the container (exec) or a helper sharing its volumes:
// whether it exists, and of an ACL file only the user names (never the rules or password hashes).
// A config file's own `aclfile` line is followed too.
const USERS = String.raw`sed -n 's/^[[:space:]]*user[[:space:]]\{1,\}\([^[:space:]]\{1,\}\).*/user \1/p'`;
export const SOURCE_CHECK = [
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  'for a in "$@"; do k=${a%%:*}; p=${a#*:}',
  '  if [ ! -e "$p" ]; then echo "missing $k $p"; continue; fi',
  '  echo "present $k $p"',
  `  if [ "$k" = aclfile ]; then ${USERS} "$p"; fi`,
  '  if [ "$k" = conf ]; then',
  String.raw`    f=$(sed -n 's/^[[:space:]]*aclfile[[:space:]]\{1,\}["]\{0,1\}\(\/[^"[:space:]]\{1,\}\).*/\1/p' "$p" | tail -n 1)`,
  `    if [ -n "$f" ] && [ -e "$f" ]; then echo "present aclfile $f"; ${USERS} "$f";`,
  '    elif [ -n "$f" ]; then echo "missing aclfile $f"; fi',
  '  fi',
  'done',
].join('\n');

export interface SourceState {
  present: AclSource[];
  missing: AclSource[];
  /** User names the present ACL file defines. */
  users: string[];
}

export function parseSourceCheck(stdout: string): SourceState | null {
  const state: SourceState = { present: [], missing: [], users: [] };
  let lines = 0;
  for (const line of stdout.split('\n').map((l) => l.trim())) {
    const m = /^(present|missing) (aclfile|conf|secret) (\/\S*)$/.exec(line);
    if (m) {
      lines++;
      state[m[1] === 'present' ? 'present' : 'missing'].push({ kind: m[2] as SourceKind, path: m[3] ?? '' });
      continue;
    }
    const u = /^user (\S+)$/.exec(line);
    if (u?.[1]) state.users.push(u[1]);
  }
  return lines === 0 ? null : state;
}
