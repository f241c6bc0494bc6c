import { ACTIONS, encodeButtonValue } from '../../src/bot/button-value.js';
import { startHttpServer } from '../../src/bot/http-server.js';
import { MemorySeenRequests } from '../../src/bot/seen-requests.js';
import { createSlackEdge } from '../../src/bot/slack-app.js';
import { metaKey } from '../../src/incidents/meta.js';
import { Orchestrator } from '../../src/incidents/orchestrator.js';
import type { Logger, StepJob } from '../../src/incidents/ports.js';
import type { ExecResult, Runbook, TargetView } from '../../src/runbooks/index.js';
import { catalogueOf } from '../../src/runbooks/index.js';
import { MemoryStore } from './memory-store.js';
import { NOTIFIER_SECRET, NOTIFIER_TOKEN, slackNotifierOn } from './slack-notifier-on.js';

// The bot's Slack side as serve() wires it, in one process: the orchestrator over a memory store
// notifying through the real SlackNotifier, and the Bolt edge on its own HTTP server taking slash
// commands and clicks from the local Slack. Steps are not run: the test answers each queued job.

export const CHANNEL = 'C_INCIDENTS';
export const APPROVER = 'U_BOB';
export const APPROVER_GROUP = 'S_ONCALL';
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function slackWorld(
  rb: Runbook,
  targets: TargetView[],
  store = new MemoryStore(),
  edgeLog: Logger = silent,
) {
  const { slack, notifier, reports, delivery } = await slackNotifierOn(store, {
    runbook: rb,
    approvers: { users: [APPROVER], groups: [APPROVER_GROUP] },
    userGroups: [{ id: APPROVER_GROUP, handle: 'oncall', users: ['U_CAROL'] }],
  });
  const jobs: StepJob[] = [];
  const orchestrator = new Orchestrator({
    store,
    dispatcher: {
      enqueueStep: async (job) => void (jobs.some((j) => j.jobId === job.jobId) || jobs.push(job)),
      enqueueEvent: async () => undefined,
    },
    notifier,
    reports,
    targets: { view: (n) => targets.find((t) => t.name === n), names: () => targets.map((t) => t.name) },
    catalogue: catalogueOf([rb]),
    policy: { approvers: [APPROVER], allowSelfApproval: false },
    approvalTtlMs: 60_000,
    now: Date.now,
    log: silent,
  });
  const http = await startHttpServer({ port: 0, log: silent, ready: async () => ({}) });
  const edge = createSlackEdge({
    botToken: NOTIFIER_TOKEN,
    signingSecret: NOTIFIER_SECRET,
    apiUrl: slack.url,
    http,
    seen: new MemorySeenRequests(),
    now: Date.now,
    known: () => ({
      runbookIds: [rb.id],
      targetNames: targets.map((t) => t.name),
      runbookTitles: { [rb.id]: rb.title },
      targetKinds: Object.fromEntries(targets.map((t) => [t.name, t.kind])),
    }),
    secrets: () => [],
    log: edgeLog,
  });
  edge.attach({
    orchestrator,
    store,
    reports: delivery,
    refresh: (id) => notifier.refresh(id),
    approvers: [APPROVER],
    ping: async () => true,
    log: silent,
  });
  edge.start();
  slack.botUrl = `http://127.0.0.1:${http.port}/slack/events`;

  /** The next response_url post after `act`: the ephemeral reply the edge sent for it. */
  const replyTo = async (act: () => Promise<unknown>): Promise<string> => {
    const before = slack.store.responses.length;
    await act();
    // Posts follow a write without holding it up: the reply is read once they are out.
    await orchestrator.idle();
    const r = await slack.waitFor((s) => s.responses[before]);
    return typeof r.body.text === 'string' ? r.body.text : '';
  };

  return {
    slack,
    store,
    orchestrator,
    /** `/incident <text>` typed in the incidents channel; resolves with the reply it got. */
    command: (text: string, userId: string) =>
      replyTo(() => slack.slashCommand({ userId, channelId: CHANNEL, text })),
    /**
     * A click on the card of one approval request; resolves with the reply to the person who clicked.
     * Once the card is decided its buttons are gone, so a later click is a stale client's.
     */
    async click(id: string, approvalId: string, decision: 'approve' | 'reject', userId: string) {
      await orchestrator.idle();
      const messageTs = (await store.load(id))?.meta[metaKey.card(approvalId)];
      if (!messageTs) throw new Error(`no card for ${approvalId}`);
      const actionId = ACTIONS[decision];
      const stale = {
        allowStale: true,
        blockId: `approval.${approvalId}`,
        value: encodeButtonValue(id, approvalId),
      };
      const live = JSON.stringify(slack.message(CHANNEL, messageTs)?.blocks ?? []).includes(actionId);
      return replyTo(() =>
        slack.clickButton({ userId, channelId: CHANNEL, messageTs, actionId, ...(live ? {} : stale) }),
      );
    },
    /** Answers every queued step of an incident, and those that brings, until none is left. */
    async answer(id: string, output: (job: StepJob) => ExecResult) {
      for (let job = jobs.find((j) => j.runId === id); job; job = jobs.find((j) => j.runId === id)) {
        jobs.splice(jobs.indexOf(job), 1);
        const results = job.kind === 'repair' ? job.actions.map(() => output(job as StepJob)) : [output(job)];
        await orchestrator.apply(id, {
          type: 'step-result',
          stepKey: job.stepKey,
          attempt: job.attempt,
          results,
        });
      }
      await orchestrator.idle();
    },
    async close(): Promise<void> {
      await edge.stop();
      await http.close();
      await slack.close();
    },
  };
}

export type SlackWorld = Awaited<ReturnType<typeof slackWorld>>;
