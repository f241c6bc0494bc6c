import type { EngineCommand, EngineEvent, RunbookCatalogue, RunState } from '../runbooks/index.js';
import { isTerminal, start } from '../runbooks/index.js';
import { adoptInLedger, carriedMeta } from './alert-links.js';
import { type Applied, applyEvents } from './apply-events.js';
import type { ApprovalPolicy, ApproverAnswer, ApproverDirectory } from './approval-policy.js';
import { approverAnswer, mayDecide } from './approval-policy.js';
import { type DecisionRefusal, refusalOf } from './decision-refusal.js';
import type { IncidentReports } from './incident-reports.js';
import { KeyBatcher } from './key-batcher.js';
import type { IncidentMetrics } from './metrics-port.js';
import { observeStart } from './metrics-port.js';
import { OutboxFlusher, type Written } from './outbox-flusher.js';
import type {
  AlertLedger,
  Dispatcher,
  IncidentRecord,
  Logger,
  Notifier,
  RunStore,
  TargetDirectory,
} from './ports.js';
import type { StartRefusal, StartRequest } from './start-request.js';

export interface OrchestratorDeps {
  store: RunStore;
  dispatcher: Dispatcher;
  notifier: Notifier;
  /** Files each incident's report when it ends, before anyone is told. */
  reports: Pick<IncidentReports, 'file'>;
  targets: TargetDirectory;
  catalogue: RunbookCatalogue;
  policy: ApprovalPolicy;
  /** Who is in the policy's approver groups; without it, group members cannot be told apart. */
  approverDirectory?: ApproverDirectory;
  approvalTtlMs: number;
  /** Distinct approvers a high-risk repair needs (1–5), fixed in each incident as it starts; default 1. */
  highRiskApprovals?: number;
  now: () => number;
  log: Logger;
  /** Removes the targets' secrets from what the engine stores; analyzers still read raw output. */
  redact?: (text: string, opts?: { cut?: boolean }) => string;
  /** Told what each saved transition means (ended, step finished, approval decided); optional. */
  metrics?: IncidentMetrics;
  /** With alerts on: told of incidents the alert path did not open, so an alert joins them. */
  ledger?: Pick<AlertLedger, 'adopt'>;
}

export type { DecisionRefusal } from './decision-refusal.js';

export type { StartRefusal, StartRequest } from './start-request.js';

/**
 * Feeds events to the engine under compare-and-set, and carries out the commands each transition
 * produces through an outbox, so a crash between the write and the dispatch loses nothing.
 */
export class Orchestrator {
  private readonly redact: (text: string, opts?: { cut?: boolean }) => string;
  private readonly batcher = new KeyBatcher<EngineEvent, Applied>((id, events) =>
    applyEvents({ ...this.d, redact: this.redact, dispatch: (i, w) => this.dispatch(i, w) }, id, events),
  );

  private readonly outbox: OutboxFlusher;

  constructor(private readonly d: OrchestratorDeps) {
    this.redact = d.redact ?? ((t) => t);
    this.outbox = new OutboxFlusher(d.store, d.log, (rec, c) => this.carryOut(rec, c));
  }

  async start(req: StartRequest): Promise<{ ok: true; id: string } | { ok: false; refusal: StartRefusal }> {
    const runbook = this.d.catalogue.get(req.runbookId);
    if (!runbook)
      return {
        ok: false,
        refusal: {
          code: 'unknown-runbook',
          message: `There is no runbook "${req.runbookId}".`,
          known: this.d.catalogue.ids,
        },
      };
    const target = this.d.targets.view(req.targetName);
    if (!target)
      return {
        ok: false,
        refusal: {
          code: 'unknown-target',
          message: `There is no target "${req.targetName}".`,
          known: this.d.targets.names(),
        },
      };
    const id = await this.d.store.nextId();
    const t = start(
      runbook,
      {
        runId: id,
        target,
        startedBy: req.startedBy,
        approvalTtlMs: this.d.approvalTtlMs,
        ...(this.d.highRiskApprovals === undefined ? {} : { highRiskApprovals: this.d.highRiskApprovals }),
        ...(req.handedOverFrom ? { handedOverFrom: req.handedOverFrom } : {}),
        ...(req.alert ? { alert: req.alert } : {}),
        ...(req.continues?.state.alerts ? { inheritedAlerts: req.continues.state.alerts } : {}),
      },
      this.d.now(),
      this.redact,
    );
    const record = { id, targetName: req.targetName, state: t.state, meta: req.meta ?? {} };
    const outbox = await this.d.store.create(record, t.commands);
    // The alert path names its own incidents in the ledger; every other one is named here.
    if (this.d.ledger && req.source !== 'alert')
      await adoptInLedger(this.d.ledger, this.d.log, {
        id,
        ...req,
        ...(req.continues ? { from: req.continues } : {}),
      });
    this.d.metrics?.record(observeStart(t.state, req.source ?? 'slack'));
    this.d.log.info(
      { incident: id, runbook: runbook.id, target: req.targetName, by: req.startedBy },
      'incident started',
    );
    await this.dispatch(id, { record: { ...record, version: 1 }, outbox });
    return { ok: true, id };
  }

  /**
   * Applies one event; safe to call twice with the same event (the engine ignores the second).
   * Events for one incident that arrive together are applied in one write (KeyBatcher).
   */
  apply(id: string, event: EngineEvent): Promise<Applied> {
    return this.batcher.submit(id, event);
  }

  async decide(
    id: string,
    approvalId: string,
    decision: 'approve' | 'reject',
    userId: string,
  ): Promise<{ ok: true; state: RunState } | { ok: false; refusal: DecisionRefusal }> {
    const rec = await this.d.store.load(id);
    if (!rec)
      return { ok: false, refusal: { code: 'unknown-incident', message: `There is no incident ${id}.` } };
    const approval = rec.state.approvals[approvalId];
    if (!approval)
      return {
        ok: false,
        refusal: { code: 'unknown-approval', message: 'This approval request does not exist.' },
      };
    const answer = await this.mayApprove(userId);
    const refused = mayDecide(this.d.policy, userId, rec.state.startedBy, answer);
    if (refused) return { ok: false, refusal: refused };
    const r = await this.apply(id, { type: 'approval-decision', approvalId, decision, by: userId });
    if (!r)
      return { ok: false, refusal: { code: 'unknown-incident', message: `There is no incident ${id}.` } };
    if (!r.ignored) return { ok: true, state: r.state };
    return { ok: false, refusal: refusalOf(id, r.state, approvalId, r.ignored) };
  }

  /** Whether someone may approve (and so cancel): the policy's list, then its groups. */
  mayApprove(userId: string): Promise<ApproverAnswer> {
    return approverAnswer(this.d.policy, this.d.approverDirectory, userId);
  }

  cancel(id: string, by: string) {
    return this.apply(id, { type: 'cancel', by });
  }

  load(id: string): Promise<IncidentRecord | null> {
    return this.d.store.load(id);
  }

  /**
   * Carries out an incident's queued commands, posts included, and waits for them. Each is
   * idempotent, so running one twice is harmless. (After a write, `dispatch` waits only for the
   * step jobs and timers.)
   */
  flush(id: string): Promise<void> {
    return this.outbox.flush(id);
  }

  /** Resolves when every Slack post (and report) requested so far has been carried out or left. */
  idle(): Promise<void> {
    return this.outbox.idle();
  }

  /** Finishes dispatching whatever a crashed process, or a failed command, left in the outboxes. */
  async recover(): Promise<number> {
    const ids = await this.d.store.pendingOutboxes();
    for (const id of ids) await this.dispatch(id, undefined, true);
    return ids.length;
  }

  /**
   * Flushes after a write, without waiting for the posts. The write already stands, so a command that cannot be carried out now
   * (Slack down, say) is logged and left in the outbox for the sweep, not reported as a failure of
   * the event or the Slack request that caused it.
   */
  private async dispatch(id: string, written?: Written, waitForPosts = false): Promise<void> {
    try {
      await this.outbox.flush(id, written, waitForPosts);
    } catch (e) {
      this.d.log.warn({ incident: id, err: String(e) }, 'some commands are left for the outbox sweep');
    }
  }

  private async carryOut(rec: IncidentRecord, c: EngineCommand): Promise<void> {
    switch (c.type) {
      case 'execute': {
        const { type: _t, delayMs, ...job } = c;
        if (isTerminal(rec.state) && c.kind !== 'repair') return;
        await this.d.dispatcher.enqueueStep(
          { ...job, targetName: rec.targetName, runbookId: rec.state.runbookId },
          delayMs,
        );
        return;
      }
      case 'schedule-expiry':
        await this.d.dispatcher.enqueueEvent(
          rec.id,
          { type: 'approval-expired', approvalId: c.approvalId },
          { jobId: `${c.approvalId}.expiry`, delayMs: Math.max(0, c.at - this.d.now()) },
        );
        return;
      case 'handover':
        if (!rec.meta.handedOverTo && (await this.d.store.claim(`handover.${rec.id}`, 7 * 86_400))) {
          try {
            const next = await this.start({
              runbookId: c.runbookId,
              targetName: rec.targetName,
              startedBy: rec.state.startedBy,
              handedOverFrom: [...(rec.state.handedOverFrom ?? []), rec.state.runbookId],
              source: 'handover',
              continues: rec,
              // The channel and the alert carry over; the root message does not: the new incident gets its own.
              meta: { ...carriedMeta(rec.meta), parent: rec.id },
            });
            if (next.ok) {
              await this.d.store.setMeta(rec.id, { handedOverTo: next.id });
              // The notifier shows this record as it is handed: it must already name the new incident.
              rec.meta.handedOverTo = next.id;
            }
          } catch (e) {
            // Let the next flush of this outbox entry try again rather than lose the handover.
            await this.d.store.release(`handover.${rec.id}`);
            throw e;
          }
        }
        await this.d.notifier.handle(rec, c);
        return;
      case 'finish': {
        const filed = await this.d.reports.file(rec);
        this.d.log.info({ incident: rec.id, report: filed.location }, 'report filed');
        await this.d.notifier.handle(rec, c);
        return;
      }
      case 'refile-report':
        // The thread already has the report; the filed one gains what came after (an alert resolved).
        if (isTerminal(rec.state)) await this.d.reports.file(rec);
        return;
      default:
        await this.d.notifier.handle(rec, c);
    }
  }
}
