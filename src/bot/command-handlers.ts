// What each `/incident` subcommand does once it has been acknowledged and parsed. Each returns the
// ephemeral reply for the person who typed it; nothing here talks to Slack directly.
import type { ApproverAnswer } from '../incidents/approval-policy.js';
import type { Orchestrator } from '../incidents/orchestrator.js';
import type { IncidentRecord, Logger, RunStore } from '../incidents/ports.js';
import { type IncidentListing, listingOf } from '../incidents/summary.js';
import { isTerminal, openedByAlert } from '../runbooks/index.js';
import { whoMayApproveText } from './approver-mentions.js';
import { escapeMrkdwn } from './blocks.js';
import { plainStatus, STATUS_LABEL, starterText, utc } from './incident-blocks.js';
import type { IncidentCommand } from './parse-command.js';
import { explainFailure, REDIS_DOWN_READ, slackErrorOf, slackReason } from './reply-errors.js';
import type { ReportDelivery } from './report-delivery.js';

export interface EdgeDeps {
  orchestrator: Pick<Orchestrator, 'start' | 'decide' | 'cancel' | 'load'>;
  store: Pick<RunStore, 'recent'>;
  reports: ReportDelivery;
  /** Re-renders an incident's root message and cards from its latest state. */
  refresh(id: string): Promise<void>;
  /** Who may approve repairs; they may also cancel any incident (the starter may cancel their own). */
  approvers: readonly string[];
  /** User groups whose members may approve too (APPROVER_GROUPS), named in refusals. */
  approverGroups?: readonly string[];
  /** The orchestrator's check of who may approve, groups included; absent: APPROVERS alone count. */
  mayApprove?(userId: string): Promise<ApproverAnswer>;
  /** Approvers may see and act on incidents of every channel (APPROVER_CROSS_CHANNEL). */
  crossChannel?: boolean;
  /** True when the bot's Redis answers; checked before any work that needs it. */
  ping(): Promise<boolean>;
  log: Logger;
}

export interface Caller {
  userId: string;
  channelId: string;
}

export const REDIS_DOWN =
  ':warning: The bot cannot start runs right now: its Redis (incident state and queues) does not answer. Nothing was started; try again in a minute.';

/** An answer within this time or a clear "no answer" (Redis can fail after the ping). */
const WORK_TIMEOUT_MS = 15_000;
/** The second look at Redis after a failure, to tell a Redis failure from any other. */
const PING_AGAIN_MS = 2_000;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// Both read the summary only, so a list of fifty incidents never reads fifty whole states.
function line(r: IncidentListing): string {
  const s = r.summary;
  const tail = s.endedAt !== undefined ? `ended ${utc(s.endedAt)}` : `started ${utc(s.startedAt)}`;
  return `*${escapeMrkdwn(r.id)}* ${STATUS_LABEL[s.status]}: \`${s.runbookId}\` on \`${escapeMrkdwn(r.targetName)}\`, ${openedByAlert(s.startedBy) === undefined ? 'by' : 'opened by'} ${starterText(s.startedBy)}, ${tail}`;
}

function detail(r: IncidentListing): string {
  const s = r.summary;
  const out = [line(r)];
  if (s.pending)
    out.push(`Waiting for approval of "${escapeMrkdwn(s.pending.title)}" until ${utc(s.pending.expiresAt)}.`);
  if (s.outcome !== undefined) out.push(`Outcome: ${escapeMrkdwn(s.outcome)}`);
  if (s.last) out.push(`Last event (${utc(s.last.at)}): ${escapeMrkdwn(s.last.text)}`);
  return out.join('\n');
}

/**
 * An incident is seen in the channel it lives in. Approvers see every channel's when the setting
 * allows; an incident with no channel (started outside Slack) is seen by approvers only.
 */
async function seesEveryChannel(who: Caller, d: EdgeDeps): Promise<boolean> {
  if (!d.crossChannel) return false;
  if (d.approvers.includes(who.userId)) return true;
  return (await d.mayApprove?.(who.userId)) === 'yes';
}

async function visible(r: IncidentRecord | IncidentListing, who: Caller, d: EdgeDeps): Promise<boolean> {
  return r.meta.channel === who.channelId || (await seesEveryChannel(who, d));
}

async function inScope(rs: IncidentListing[], who: Caller, d: EdgeDeps): Promise<IncidentListing[]> {
  const all = await seesEveryChannel(who, d);
  return rs.filter((r) => all || r.meta.channel === who.channelId);
}

const elsewhere = (r: IncidentRecord | IncidentListing) =>
  `${r.id} belongs to another channel${r.meta.channel ? ` (<#${escapeMrkdwn(r.meta.channel)}>)` : ''}: ask there.`;

export async function runCommand(cmd: IncidentCommand, who: Caller, d: EdgeDeps): Promise<string> {
  if (cmd.kind === 'help') return '';
  if (!(await d.ping())) return cmd.kind === 'run' ? REDIS_DOWN : REDIS_DOWN_READ;
  try {
    return await within(execute(cmd, who, d), WORK_TIMEOUT_MS);
  } catch (e) {
    d.log.error({ command: cmd.kind, err: e instanceof Error ? e.message : String(e) }, 'command failed');
    // Redis answered the ping, so the incident may have been created before the failure.
    if (cmd.kind === 'run')
      return `:warning: The bot did not get a confirmation from its Redis (${e instanceof Error ? escapeMrkdwn(e.message) : 'error'}). The incident may still start: check \`/incident list\` before trying again.`;
    // Redis is blamed only if it does not answer now: a Slack error or a bug is not Redis's.
    const redisAnswers = await within(d.ping(), PING_AGAIN_MS).catch(() => false);
    return explainFailure(cmd.kind, e, redisAnswers);
  }
}

async function execute(cmd: IncidentCommand, who: Caller, d: EdgeDeps): Promise<string> {
  switch (cmd.kind) {
    case 'run': {
      const r = await d.orchestrator.start({
        runbookId: cmd.runbookId,
        targetName: cmd.targetName,
        startedBy: who.userId,
        meta: { channel: who.channelId },
      });
      if (!r.ok) return `${r.refusal.message} Known: ${r.refusal.known.map((k) => `\`${k}\``).join(', ')}.`;
      return `Started *${r.id}*: \`${cmd.runbookId}\` on \`${cmd.targetName}\`. Findings and approvals follow in its thread.`;
    }
    case 'status': {
      if (cmd.incidentId) {
        const rec = await d.orchestrator.load(cmd.incidentId);
        if (!rec) return `There is no incident ${cmd.incidentId}. \`/incident list\` shows recent ones.`;
        return (await visible(rec, who, d)) ? detail(listingOf(rec)) : elsewhere(rec);
      }
      const active = (await inScope(await d.store.recent(50), who, d)).filter((r) => !isTerminal(r.summary));
      return active.length === 0
        ? 'No incident is running in this channel. `/incident list` shows recent ones.'
        : active.map(detail).join('\n\n');
    }
    case 'list': {
      const recent = (await inScope(await d.store.recent(50), who, d)).slice(0, 15);
      return recent.length === 0 ? 'No incidents in this channel yet.' : recent.map(line).join('\n');
    }
    case 'cancel': {
      const rec = await d.orchestrator.load(cmd.incidentId);
      if (!rec) return `There is no incident ${cmd.incidentId}.`;
      if (!(await visible(rec, who, d))) return elsewhere(rec);
      if (rec.state.startedBy !== who.userId && !d.approvers.includes(who.userId)) {
        // A member of an approver group may cancel too; a group that cannot be read lets nobody in.
        const may = (await d.mayApprove?.(who.userId)) ?? 'no';
        if (may === 'unresolved')
          return `:warning: The bot could not check who may cancel ${rec.id} (Slack did not answer for an approver user group). Nothing was cancelled; try again in a minute.`;
        if (may === 'no') {
          const who = whoMayApproveText({ users: d.approvers, groups: d.approverGroups ?? [] });
          const asks = [
            ...(openedByAlert(rec.state.startedBy) === undefined
              ? [`${starterText(rec.state.startedBy)} (who started it)`]
              : []),
            ...(who ? [`an approver: ${who}`] : []),
          ];
          return `Only the person who started ${rec.id} or someone allowed to approve repairs may cancel it. Nothing was cancelled.${asks.length ? ` Ask ${asks.join(', or ')}.` : ''}`;
        }
      }
      if (isTerminal(rec.state))
        return `${rec.id} has already ended (${plainStatus(rec.state.status)}); nothing to cancel.`;
      const r = await d.orchestrator.cancel(rec.id, who.userId);
      await d.refresh(rec.id);
      return r && !r.ignored
        ? `Cancelled ${rec.id}. Nothing further runs${rec.state.status === 'repairing' ? '; the repair already running will be recorded' : ''}.`
        : `${rec.id} could not be cancelled (${r?.ignored ?? 'unknown incident'}).`;
    }
    case 'report': {
      const rec = await d.orchestrator.load(cmd.incidentId);
      if (!rec) return `There is no incident ${cmd.incidentId}.`;
      if (!(await visible(rec, who, d))) return elsewhere(rec);
      const channel = rec.meta.channel ?? who.channelId;
      try {
        await d.reports.deliver(rec, channel, rec.meta.rootTs);
      } catch (e) {
        // The thread was deleted (or Slack was reset): the report still belongs in the channel.
        if (!rec.meta.rootTs || slackErrorOf(e) !== 'thread_not_found') throw e;
        const gone = `The thread of ${rec.id} is gone from Slack (\`thread_not_found\`)`;
        try {
          await d.reports.deliver(rec, channel);
        } catch (again) {
          d.log.error(
            { incident: rec.id, err: again instanceof Error ? again.message : String(again) },
            'report failed',
          );
          return `:warning: ${gone}, and posting its report in the channel failed too: ${slackReason(again) ?? escapeMrkdwn(again instanceof Error ? again.message.slice(0, 300) : String(again))}.`;
        }
        return `${gone}, so its report was posted in the channel instead.`;
      }
      return `Posted the report of ${rec.id} ${rec.meta.rootTs ? 'in its thread' : 'in this channel'}.`;
    }
    default:
      return '';
  }
}
