import { INCIDENT_ID } from '../incidents/ports.js';
import { nearMisses, orList } from './near-miss.js';
// `/incident …` text to a command, or to a refusal that says what was wrong and what would be right.
// Pure: no Slack, no Redis, so it runs before anything else and a mistake never costs a lookup.
// Text from Slack only ever selects a runbook or a target by name; it never becomes part of a command.

export type IncidentCommand =
  | { kind: 'run'; runbookId: string; targetName: string }
  | { kind: 'status'; incidentId?: string }
  | { kind: 'list' }
  | { kind: 'cancel'; incidentId: string }
  | { kind: 'report'; incidentId: string }
  | { kind: 'help' };

export type ParseResult = { ok: true; command: IncidentCommand } | { ok: false; message: string };

export interface Known {
  runbookIds: readonly string[];
  targetNames: readonly string[];
  /** One line per runbook for the help (its title), from the catalogue. */
  runbookTitles?: Readonly<Record<string, string>>;
  /** How each target is reached (`docker`, `ssh`), from the targets file. */
  targetKinds?: Readonly<Record<string, string>>;
}

export const SUBCOMMANDS = ['run', 'status', 'list', 'cancel', 'report', 'help'] as const;

/** The commands alone; `helpText` adds the runbooks and targets this bot knows. */
export const HELP = [
  '*/incident* runs a runbook against a named target, posts what it finds and asks before it repairs.',
  '• `/incident run <runbook> <target>`: open an incident and start the runbook',
  '• `/incident status [incident-id]`: where an incident stands (without an id: the running ones)',
  '• `/incident list`: the most recent incidents',
  '• `/incident cancel <incident-id>`: stop an incident; nothing further runs',
  '• `/incident report <incident-id>`: post the incident report in its thread again',
  '• `/incident help`: this text',
].join('\n');

// Typed by a person, so any case is accepted.
const TYPED_INCIDENT_ID = new RegExp(INCIDENT_ID.source, 'i');
/** What a name may look like; anything else is refused before it is looked up or echoed. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const MAX_ECHO = 60;

/** Echoes user text back safely: no mentions, links or formatting smuggled into the reply. */
export function quote(text: string): string {
  const cut = text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text;
  return `\`${cut.replace(/[`<>&*_~]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? ' ')}\``;
}

/** A known name in code format; one that could carry formatting is quoted like typed text. */
const code = (name: string) => (NAME.test(name) ? `\`${name}\`` : quote(name));

const list = (names: readonly string[]) =>
  names.length === 0 ? '(none configured)' : names.map(code).join(', ');

/** Mrkdwn-safe text of our own (a runbook's title): no mentions, links or entities. */
const plain = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const HELP_RUNBOOKS = 30;
const HELP_TARGETS = 60;

/** `/incident help`: the commands, then every runbook with its one line, then the targets known. */
export function helpText(known: Known): string {
  const runbooks = known.runbookIds.slice(0, HELP_RUNBOOKS).map((id) => {
    const title = known.runbookTitles?.[id];
    return `• ${code(id)}${title ? `: ${plain(title)}` : ''}`;
  });
  const more = (n: number, shown: number) => (n > shown ? ` and ${n - shown} more` : '');
  const targets = known.targetNames.slice(0, HELP_TARGETS).map((name) => {
    const kind = known.targetKinds?.[name];
    return `${code(name)}${kind ? ` (${plain(kind)})` : ''}`;
  });
  const example =
    NAME.test(known.runbookIds[0] ?? '') && NAME.test(known.targetNames[0] ?? '')
      ? [`Example: \`/incident run ${known.runbookIds[0]} ${known.targetNames[0]}\``]
      : [];
  return [
    HELP,
    '',
    `*Runbooks* (${known.runbookIds.length}):`,
    ...(runbooks.length ? runbooks : ['(none configured)']),
    ...(known.runbookIds.length > HELP_RUNBOOKS ? [`…${more(known.runbookIds.length, HELP_RUNBOOKS)}`] : []),
    `*Targets* (${known.targetNames.length}): ${targets.length ? targets.join(', ') : '(none configured)'}${more(known.targetNames.length, HELP_TARGETS)}`,
    ...example,
  ].join('\n');
}

function incidentArg(sub: 'status' | 'cancel' | 'report', args: string[]): string | ParseResult {
  const usage = `\`/incident ${sub} <incident-id>\`, e.g. \`/incident ${sub} INC-0001\``;
  if (args.length === 0) return { ok: false, message: `\`${sub}\` needs an incident id: ${usage}.` };
  if (args.length > 1) return { ok: false, message: `\`${sub}\` takes one incident id: ${usage}.` };
  const id = args[0] ?? '';
  if (!TYPED_INCIDENT_ID.test(id))
    return {
      ok: false,
      message: `${quote(id)} is not an incident id. Ids look like \`INC-0001\`: ${usage}.`,
    };
  return id.toUpperCase();
}

export function parseIncidentCommand(text: string, known: Known): ParseResult {
  const [rawSub, ...args] = text.trim().split(/\s+/).filter(Boolean);
  const sub = (rawSub ?? 'help').toLowerCase();
  switch (sub) {
    case 'help':
      return { ok: true, command: { kind: 'help' } };
    case 'list':
      return args.length === 0
        ? { ok: true, command: { kind: 'list' } }
        : { ok: false, message: '`list` takes no arguments: `/incident list`.' };
    case 'status': {
      if (args.length === 0) return { ok: true, command: { kind: 'status' } };
      const id = incidentArg('status', args);
      return typeof id === 'string' ? { ok: true, command: { kind: 'status', incidentId: id } } : id;
    }
    case 'cancel':
    case 'report': {
      const id = incidentArg(sub, args);
      return typeof id === 'string' ? { ok: true, command: { kind: sub, incidentId: id } } : id;
    }
    case 'run':
      return parseRun(args, known);
    default:
      return unknownSubcommand(rawSub ?? '', args, known);
  }
}

/** The command a corrected line stands for, written out from what was parsed (so only known names). */
function written(c: IncidentCommand): string {
  switch (c.kind) {
    case 'run':
      return `/incident run ${c.runbookId} ${c.targetName}`;
    case 'status':
      return `/incident status${c.incidentId ? ` ${c.incidentId}` : ''}`;
    case 'cancel':
    case 'report':
      return `/incident ${c.kind} ${c.incidentId}`;
    default:
      return `/incident ${c.kind}`;
  }
}

function unknownSubcommand(typed: string, args: string[], known: Known): ParseResult {
  const subs = SUBCOMMANDS.filter((s) => s !== 'help' || args.length === 0);
  const near = nearMisses(typed, subs);
  const all = `Use one of ${SUBCOMMANDS.map((s) => `\`${s}\``).join(', ')}.`;
  if (near.length === 1 && near[0]) {
    // Written out in full only when the rest of the line is right as it stands.
    const fixed = parseIncidentCommand([near[0], ...args].join(' '), known);
    const guess = fixed.ok ? `\`${written(fixed.command)}\`` : `\`${near[0]}\``;
    return {
      ok: false,
      message: `There is no subcommand ${quote(typed)}. Did you mean ${guess}? Nothing was done. ${all}`,
    };
  }
  if (near.length > 1)
    return {
      ok: false,
      message: `There is no subcommand ${quote(typed)}. Did you mean ${orList(near)}? Nothing was done. ${all}`,
    };
  return { ok: false, message: `There is no subcommand ${quote(typed)}. ${all}\n\n${helpText(known)}` };
}

/** The one name the typed one stands for: itself when known, else its only near miss. */
function resolveName(typed: string, names: readonly string[]): { exact: boolean; near: string[] } {
  if (NAME.test(typed) && names.includes(typed)) return { exact: true, near: [typed] };
  return { exact: false, near: NAME.test(typed) ? nearMisses(typed, names).filter((n) => NAME.test(n)) : [] };
}

function parseRun(args: string[], known: Known): ParseResult {
  const usage = `\`/incident run <runbook> <target>\`, e.g. \`/incident run ${known.runbookIds[0] ?? 'redis-connectivity'} ${known.targetNames[0] ?? 'cache'}\``;
  if (args.length !== 2)
    return {
      ok: false,
      message: `\`run\` needs a runbook and a target (${args.length === 0 ? 'got neither' : `got ${args.length} argument${args.length === 1 ? '' : 's'}`}): ${usage}.\nRunbooks: ${list(known.runbookIds)}.\nTargets: ${list(known.targetNames)}.`,
    };
  const [runbookId = '', targetName = ''] = args;
  const rb = resolveName(runbookId, known.runbookIds);
  const tg = resolveName(targetName, known.targetNames);
  if (rb.exact && tg.exact) return { ok: true, command: { kind: 'run', runbookId, targetName } };
  const nothing = 'Nothing was started.';
  // The target typed first: the same names the other way round are the command meant.
  if (
    !rb.exact &&
    known.targetNames.includes(runbookId) &&
    known.runbookIds.includes(targetName) &&
    NAME.test(runbookId) &&
    NAME.test(targetName)
  )
    return {
      ok: false,
      message: `The runbook comes first, then the target: did you mean \`/incident run ${targetName} ${runbookId}\`? ${nothing}`,
    };
  const one = (r: { near: string[] }) => (r.near.length === 1 ? r.near[0] : undefined);
  const [r1, t1] = [one(rb), one(tg)];
  const whole = r1 && t1 ? ` Did you mean \`/incident run ${r1} ${t1}\`? ${nothing}` : undefined;
  const didYou = (r: { near: string[] }) =>
    r.near.length ? ` Did you mean ${orList(r.near)}? ${nothing}` : ` ${nothing}`;
  if (!rb.exact)
    return {
      ok: false,
      message: `There is no runbook ${quote(runbookId)}.${whole ?? didYou(rb)}\nKnown runbooks: ${list(known.runbookIds)}.\nUsage: ${usage}.`,
    };
  return {
    ok: false,
    message: `There is no target ${quote(targetName)}.${whole ?? didYou(tg)}\nKnown targets: ${list(known.targetNames)}.\nUsage: ${usage}.`,
  };
}
