import { INCIDENT_ID } from '../incidents/ports.js';
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
}

export const SUBCOMMANDS = ['run', 'status', 'list', 'cancel', 'report', 'help'] as const;

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

const list = (names: readonly string[]) =>
  names.length === 0 ? '(none configured)' : names.map((n) => `\`${n}\``).join(', ');

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
      return {
        ok: false,
        message: `There is no subcommand ${quote(rawSub ?? '')}. Use one of ${SUBCOMMANDS.map((s) => `\`${s}\``).join(', ')}.\n\n${HELP}`,
      };
  }
}

function parseRun(args: string[], known: Known): ParseResult {
  const usage = `\`/incident run <runbook> <target>\`, e.g. \`/incident run ${known.runbookIds[0] ?? 'redis-connectivity'} ${known.targetNames[0] ?? 'cache'}\``;
  if (args.length !== 2)
    return {
      ok: false,
      message: `\`run\` needs a runbook and a target (${args.length === 0 ? 'got neither' : `got ${args.length} argument${args.length === 1 ? '' : 's'}`}): ${usage}.\nRunbooks: ${list(known.runbookIds)}.\nTargets: ${list(known.targetNames)}.`,
    };
  const [runbookId = '', targetName = ''] = args;
  if (!NAME.test(runbookId) || !known.runbookIds.includes(runbookId))
    return {
      ok: false,
      message: `There is no runbook ${quote(runbookId)}. Known runbooks: ${list(known.runbookIds)}.\nUsage: ${usage}.`,
    };
  if (!NAME.test(targetName) || !known.targetNames.includes(targetName))
    return {
      ok: false,
      message: `There is no target ${quote(targetName)}. Known targets: ${list(known.targetNames)}.\nUsage: ${usage}.`,
    };
  return { ok: true, command: { kind: 'run', runbookId, targetName } };
}
