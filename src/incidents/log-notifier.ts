import type { IncidentRecord, Logger, Notifier } from './ports.js';

/** For processes with no Slack edge: what the run says goes to the log (and nowhere else). */
export class LogNotifier implements Notifier {
  constructor(private readonly log: Logger) {}

  async handle(record: IncidentRecord, command: Parameters<Notifier['handle']>[1]): Promise<void> {
    const { type, ...rest } = command;
    const detail =
      type === 'request-approval'
        ? { approval: command.approval.id, commands: command.approval.commands }
        : rest;
    this.log.info(
      { incident: record.id, status: record.state.status, command: type, ...detail },
      'incident update',
    );
  }
}
