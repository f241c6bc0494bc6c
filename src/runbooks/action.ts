import { z } from 'zod';
import type { TargetView } from './target.js';

// Where an action runs: the Redis side (its container, or its host over SSH) or one client container.
export const placeSchema = z.discriminatedUnion('at', [
  z.object({ at: z.literal('redis') }),
  z.object({ at: z.literal('client'), client: z.string() }),
]);
export type Place = z.infer<typeof placeSchema>;

const argv = z.array(z.string()).min(1);

// Every action is data with argv arrays; executors turn it into API calls or one quoted remote
// command. Nothing typed in Slack reaches these fields: values come from the runbook, the targets
// file, or facts parsed (and pattern-checked) from the target's own output.
export const actionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('exec'), place: placeSchema, argv, user: z.string().optional() }),
  // redis-cli towards the target's Redis, run from `place`; the password (if any) is passed by the
  // executor out of band, never in argv.
  z.object({ kind: z.literal('redis'), place: placeSchema, args: argv }),
  z.object({ kind: z.literal('inspect'), place: placeSchema }),
  z.object({ kind: z.literal('logs'), place: placeSchema, tail: z.number().int().min(1).max(5000) }),
  z.object({ kind: z.literal('start'), place: placeSchema }),
  z.object({ kind: z.literal('restart'), place: placeSchema }),
  z.object({ kind: z.literal('network-connect'), place: placeSchema, network: z.string().min(1) }),
  // A short-lived container from the place's image that shares its volumes (for a container that
  // exited and so cannot be exec'd into).
  z.object({ kind: z.literal('helper'), place: placeSchema, argv, user: z.string() }),
  // A client's health check fetched by the worker itself (its `fromWorker`), for an image with no
  // HTTP tool; the URL is the targets file's, checked there.
  z.object({ kind: z.literal('http-get'), place: placeSchema, url: z.string().url() }),
]);
export type Action = z.infer<typeof actionSchema>;
export type ActionKind = Action['kind'];

/** Kinds that change the target whatever their arguments; never allowed in diagnose/verify steps. */
export const MUTATING_KINDS: ReadonlySet<ActionKind> = new Set(['start', 'restart', 'network-connect']);

export function quoteArg(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const quoted = (args: readonly string[]) => args.map(quoteArg).join(' ');

function containerOf(place: Place, target: TargetView): string {
  if (place.at === 'redis') return target.redis.container ?? target.redis.sshHost ?? '?';
  return target.clients.find((c) => c.name === place.client)?.container ?? place.client;
}

// As the SSH executor runs it: root and other users through `sudo -n` when the target says sudo.
function sshAs(target: TargetView, user: string | undefined): string {
  if (user === undefined) return '';
  if (target.redis.sudo) return user === 'root' ? 'sudo -n ' : `sudo -n -u ${quoteArg(user)} `;
  return user === 'root' ? '' : `runuser -u ${quoteArg(user)} -- `;
}

/** The command a person would type for this action; shown on approval cards and in reports. */
export function renderAction(action: Action, target: TargetView): string {
  const onSsh = action.place.at === 'redis' && target.kind === 'ssh';
  const where = containerOf(action.place, target);
  const inPlace = (cmd: readonly string[], user?: string) =>
    onSsh
      ? `ssh ${where} -- ${sshAs(target, user)}${quoted(cmd)}`
      : `docker exec ${user ? `-u ${quoteArg(user)} ` : ''}${where} ${quoted(cmd)}`;
  switch (action.kind) {
    case 'exec':
      return inPlace(action.argv, action.user);
    case 'redis': {
      const host = action.place.at === 'redis' ? '127.0.0.1' : target.redis.host;
      // The ACL user is shown (a name); the password never is, it goes out of band.
      const user = target.redis.username ? ['--user', target.redis.username] : [];
      return inPlace(['redis-cli', '-h', host, '-p', String(target.redis.port), ...user, ...action.args]);
    }
    case 'inspect':
      return onSsh ? `ssh ${where} -- ps/stat of redis-server` : `docker inspect ${where}`;
    case 'logs':
      return onSsh
        ? `ssh ${where} -- tail -n ${action.tail} <redis log>`
        : `docker logs --tail ${action.tail} ${where}`;
    case 'start':
    case 'restart':
      return `docker ${action.kind} ${where}`;
    case 'network-connect':
      return `docker network connect ${quoteArg(action.network)} ${where}`;
    case 'http-get':
      return `GET ${action.url} (from the worker, for ${where})`;
    case 'helper':
      return `docker run --rm --volumes-from ${where} -u ${quoteArg(action.user)} <image of ${where}> ${quoted(action.argv)}`;
  }
}
