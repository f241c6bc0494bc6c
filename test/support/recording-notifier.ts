import type { IncidentRecord, Notifier } from '../../src/incidents/ports.js';
import type { EngineCommand } from '../../src/runbooks/index.js';

type Command = Parameters<Notifier['handle']>[1];

/** What a notifier shows of one command: the same vocabulary the notifier contract reads. */
export function shownAs(c: Command): string | undefined {
  switch (c.type) {
    case 'status':
    case 'withdraw-approval':
      return 'root';
    case 'post-findings':
      return `findings:${c.stepKey}`;
    case 'request-approval':
      return `card:${c.approval.id}`;
    case 'handover':
      return 'handover';
    case 'finish':
      return 'report';
    case 'post-note':
      return `note:${c.key}`;
    default:
      return undefined;
  }
}

/**
 * The notifier the orchestration tests stand on: it keeps every command it was handed (`seen`) and,
 * like the Slack notifier, shows each thing once however often its command comes (`shown`).
 */
export class RecordingNotifier implements Notifier {
  readonly seen: { incident: string; command: EngineCommand }[] = [];
  readonly shown: string[] = [];
  async handle(record: IncidentRecord, command: Command) {
    this.seen.push({ incident: record.id, command });
    const what = shownAs(command);
    if (what === undefined || !record.meta.channel) return;
    // The root message comes first, and is shown once; later status changes update it in place.
    if (!this.shown.includes('root')) this.shown.push('root');
    if (!this.shown.includes(what)) this.shown.push(what);
  }
}
