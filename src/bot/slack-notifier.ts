// Carries the engine's people-side commands out in Slack. Commands can arrive twice (they are
// re-dispatched after a crash, and two flushes of one outbox can overlap), so every post is guarded
// by a claim in the store and remembered in the incident's meta; updates are re-rendered from the
// latest state, which makes them safe to repeat.
import { type IncidentMeta, metaKey, type PostKey } from '../incidents/meta.js';
import type { IncidentRecord, Logger, Notifier, RunStore } from '../incidents/ports.js';
import type { RunbookLookup } from '../runbooks/index.js';
import { redact } from '../runbooks/redact.js';
import { repairRuns } from '../runbooks/repair-story.js';
import { diagnosisRound } from '../runbooks/run-queries.js';
import { approvalCard, cardState, type WhoMayApprove } from './approval-card.js';
import { escapeMrkdwn, sections } from './blocks.js';
import { rootMessage } from './incident-blocks.js';
import type { ReportDelivery } from './report-delivery.js';
import type { SlackApi } from './slack-api.js';
import { diagnosisSummary, repairResult, repairShown, roundDone } from './thread-blocks.js';

type Command = Parameters<Notifier['handle']>[1];

export interface SlackNotifierDeps {
  slack: SlackApi;
  store: RunStore;
  runbooks: RunbookLookup;
  reports: ReportDelivery;
  secrets: () => readonly string[];
  log: Logger;
  /** Who may approve, named on each approval card; absent: the card does not say. */
  approvers?: WhoMayApprove;
  /** How long a second handler waits for the first one's root message (ms). */
  rootWaitMs?: number;
}

/** A claim outlives any single Slack call; after it lapses a re-dispatched command may try again. */
const CLAIM_TTL_S = 300;

export class SlackNotifier implements Notifier {
  constructor(private readonly d: SlackNotifierDeps) {}

  async handle(record: IncidentRecord, command: Command): Promise<void> {
    try {
      await this.carryOut(record, command);
    } catch (e) {
      // A Slack or store hiccup must not stall the run: the outbox still dispatches the steps, and the
      // root message and cards are re-rendered from the state at the next change.
      const err = redact(e instanceof Error ? e.message : String(e), this.d.secrets());
      this.d.log.error({ incident: record.id, command: command.type, err }, 'slack update failed');
      // Rethrown so the command stays in the outbox: the next flush or the sweep posts it again.
      throw e;
    }
  }

  private async carryOut(record: IncidentRecord, command: Command): Promise<void> {
    if (command.type === 'schedule-expiry' || command.type === 'refile-report') return;
    // The record the orchestrator just wrote: its meta is kept current below as posts are made, so one
    // flush of many commands reads the store only when another process may be posting the root.
    const rec = record;
    const channel = rec.meta.channel;
    if (!channel) return; // started outside Slack: nothing to show
    const rootTs = await this.ensureRoot(rec, channel);
    if (!rootTs) {
      this.d.log.warn({ incident: rec.id, command: command.type }, 'no root message yet; update skipped');
      return;
    }
    switch (command.type) {
      case 'status':
      case 'withdraw-approval':
        await this.syncThread(rec, channel, rootTs);
        await this.show(rec);
        return;
      case 'post-findings':
        // One summary per look, posted once the look is over; not one message per check.
        await this.syncThread(rec, channel, rootTs);
        return;
      case 'request-approval':
        await this.ensureCard(rec, channel, rootTs, command.approval.id);
        return;
      case 'post-note':
        // An alert fired again, another joined, or one resolved: one line in the thread, once.
        await this.once(rec, metaKey.note(command.key), async () =>
          this.d.slack.post({
            channel,
            threadTs: rootTs,
            text: command.text,
            blocks: sections(`:bell: ${escapeMrkdwn(command.text)}`),
          }),
        );
        return;
      case 'handover':
        await this.once(rec, 'handover', async () =>
          this.d.slack.post({
            channel,
            threadTs: rootTs,
            text: `:leftwards_arrow_with_hook: Handed over to the \`${command.runbookId}\` runbook${rec.meta.handedOverTo ? ` as ${rec.meta.handedOverTo}` : ''}: see its own message in the channel.`,
          }),
        );
        await this.show(rec);
        return;
      case 'finish':
        await this.syncThread(rec, channel, rootTs);
        await this.show(rec);
        await this.once(rec, 'report', async () => {
          await this.d.reports.deliver(rec, channel, rootTs);
          return 'posted';
        });
        // The root message now points at the report.
        await this.show(rec);
        return;
    }
  }

  /** Re-renders the root message and every card whose state changed, from the latest state. */
  async refresh(id: string): Promise<void> {
    const rec = await this.d.store.load(id);
    if (rec) await this.show(rec);
  }

  private async show(rec: IncidentRecord): Promise<void> {
    const channel = rec.meta.channel;
    const rootTs = rec.meta.rootTs;
    if (!channel || !rootTs) return;
    const root = rootMessage(this.view(rec));
    await this.d.slack.update({ channel, ts: rootTs, ...root });
    for (const a of Object.values(rec.state.approvals)) {
      const ts = rec.meta[metaKey.card(a.id)];
      const shown = cardState(a, rec.state);
      if (!ts || rec.meta[metaKey.cardState(a.id)] === shown) continue;
      const card = approvalCard(rec.id, rec.state, this.d.runbooks(rec.state.runbookId), a, this.d.approvers);
      await this.d.slack.update({ channel, ts, text: card.text, blocks: card.blocks });
      await this.remember(rec, { [metaKey.cardState(a.id)]: shown });
    }
  }

  /** The thread an incident's messages go to, or undefined while another handler is still posting it. */
  async rootOf(id: string): Promise<{ channel: string; ts: string } | undefined> {
    const rec = await this.d.store.load(id);
    return rec?.meta.channel && rec.meta.rootTs
      ? { channel: rec.meta.channel, ts: rec.meta.rootTs }
      : undefined;
  }

  /**
   * Posts what the thread still lacks, in the order it happened: each finished look's summary, each
   * repair's result (rewritten as its verification moves on). Safe to repeat: posts are claimed once.
   */
  private async syncThread(rec: IncidentRecord, channel: string, rootTs: string): Promise<void> {
    const s = rec.state;
    for (let round = 1; round <= diagnosisRound(s); round++) {
      if (!roundDone(s, round)) continue;
      await this.once(rec, metaKey.findings(`summary-${round}`), async () => {
        const m = diagnosisSummary(rec.id, s, round);
        const ts = await this.d.slack.post({ channel, threadTs: rootTs, text: m.text, blocks: m.blocks });
        if (m.file && m.file.content !== '')
          await this.d.slack.upload({
            channel,
            threadTs: rootTs,
            filename: m.file.filename,
            title: m.file.filename,
            content: m.file.content,
            comment: `Evidence of the diagnosis (round ${round}) of ${escapeMrkdwn(rec.id)}.`,
          });
        return ts;
      });
    }
    for (const run of repairRuns(s)) {
      const key = metaKey.findings(`repair-${run.key}`);
      const shownKey = metaKey.findings(`repair-${run.key}.shown`);
      const shown = repairShown(s, run);
      const m = repairResult(rec.id, s, run);
      const ts = rec.meta[key];
      if (!ts) {
        await this.once(rec, key, () =>
          this.d.slack.post({ channel, threadTs: rootTs, text: m.text, blocks: m.blocks }),
        );
        await this.remember(rec, { [shownKey]: shown });
      } else if (rec.meta[shownKey] !== shown) {
        await this.d.slack.update({ channel, ts, text: m.text, blocks: m.blocks });
        await this.remember(rec, { [shownKey]: shown });
      }
    }
  }

  private view(rec: IncidentRecord) {
    return {
      id: rec.id,
      ...(this.d.approvers ? { approvers: this.d.approvers } : {}),
      ...(rec.meta.report ? { report: `\`${escapeMrkdwn(rec.id)}.md\`, the file in the thread` } : {}),
      state: rec.state,
      runbook: this.d.runbooks(rec.state.runbookId),
      ...(rec.meta.handedOverTo ? { handedOverTo: rec.meta.handedOverTo } : {}),
      ...(rec.meta.parent ? { parent: rec.meta.parent } : {}),
      ...(rec.meta.alertName
        ? {
            alert: {
              name: rec.meta.alertName,
              ...(rec.meta.alertSeverity ? { severity: rec.meta.alertSeverity } : {}),
              ...(rec.meta.alertSummary ? { summary: rec.meta.alertSummary } : {}),
              ...(rec.meta.alertUrl ? { url: rec.meta.alertUrl } : {}),
            },
          }
        : {}),
    };
  }

  private async ensureRoot(rec: IncidentRecord, channel: string): Promise<string | undefined> {
    if (rec.meta.rootTs) return rec.meta.rootTs;
    if (await this.d.store.claim(`slack.${rec.id}.root`, CLAIM_TTL_S)) {
      try {
        const ts = await this.d.slack.post({ channel, ...rootMessage(this.view(rec)) });
        await this.remember(rec, { rootTs: ts });
        return ts;
      } catch (e) {
        await this.d.store.release(`slack.${rec.id}.root`);
        throw e;
      }
    }
    // Someone else is posting it right now: wait for its ts rather than post a second root message.
    const until = Date.now() + (this.d.rootWaitMs ?? 10_000);
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      const ts = (await this.d.store.load(rec.id))?.meta.rootTs;
      if (ts) {
        rec.meta.rootTs = ts;
        return ts;
      }
    }
    return undefined;
  }

  private async ensureCard(rec: IncidentRecord, channel: string, rootTs: string, approvalId: string) {
    const a = rec.state.approvals[approvalId];
    if (!a) return;
    await this.once(rec, metaKey.card(approvalId), async () => {
      const card = approvalCard(rec.id, rec.state, this.d.runbooks(rec.state.runbookId), a, this.d.approvers);
      const ts = await this.d.slack.post({ channel, threadTs: rootTs, text: card.text, blocks: card.blocks });
      await this.remember(rec, { [metaKey.cardState(a.id)]: cardState(a, rec.state) });
      if (card.overflow)
        await this.d.slack.upload({
          channel,
          threadTs: rootTs,
          filename: `${approvalId}-commands.txt`,
          title: `Commands of ${approvalId}`,
          content: card.fullText,
          comment: `All commands the repair "${escapeMrkdwn(a.title)}" will run.`,
        });
      return ts;
    });
  }

  /** Stores a meta patch and keeps the record in hand current with it. */
  private async remember(rec: IncidentRecord, patch: IncidentMeta): Promise<void> {
    await this.d.store.setMeta(rec.id, patch);
    Object.assign(rec.meta, patch);
  }

  /** Runs `post` once per incident and key: a claim keeps two handlers apart, the meta remembers it. */
  private async once(rec: IncidentRecord, key: PostKey, post: () => Promise<string>): Promise<void> {
    if (rec.meta[key]) return;
    if (!(await this.d.store.claim(`slack.${rec.id}.${key}`, CLAIM_TTL_S))) return;
    try {
      const value = await post();
      await this.remember(rec, { [key]: value });
    } catch (e) {
      // Give the claim back, so the retry of this command can post it.
      await this.d.store.release(`slack.${rec.id}.${key}`);
      throw e;
    }
  }
}
