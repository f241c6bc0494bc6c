import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LabScenario } from '@runbook-bot/lab';
import {
  createLocalSlack,
  type LocalMessage,
  type LocalSlack,
  type LocalUser,
} from '@runbook-bot/local-slack';
import { pino } from 'pino';
import { parseConfig } from '../../src/config.js';
import { type Running, serve } from '../../src/main.js';
import type { RunStatus } from '../../src/runbooks/index.js';
import { builtinCatalogue } from '../../src/runbooks/library/index.js';
import { labEnv } from './lab-run.js';
import { scenarioEnvironment } from './scenario-env.js';

// The real bot, wired by serve() exactly as `node dist/cli.js serve` wires it (Bolt on a free port,
// Slack notifier, orchestrator, event worker, in-process step workers), against a local Slack, a
// real bot Redis and the real lab. Its JSON log lines are kept in memory so tests can search them.

export const SIGNING_SECRET = 'e2e-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-e2e-local-token';
export const CHANNEL = 'C_INCIDENTS';
export const APP_TOKEN = 'xapp-e2e-local-app-token';

/** How Slack reaches the bot: signed HTTP requests, or envelopes over a Socket Mode connection. */
export type SlackMode = 'http' | 'socket';

export interface BotHarnessOptions {
  redisUrl: string;
  scenarios: LabScenario[];
  /** Targets that exist only in the targets file (nothing is ever run on them). */
  extraTargets?: Record<string, unknown>;
  approvers?: string[];
  allowSelfApproval?: boolean;
  approvalTtl?: string;
  users?: LocalUser[];
  mode?: SlackMode;
  userGroups?: { id: string; handle: string; users: string[] }[];
  approverGroups?: string[];
  /** More settings for serve(), e.g. the alert intake's. */
  env?: Record<string, string>;
}

export async function botHarness(o: BotHarnessOptions) {
  const socket = o.mode === 'socket';
  const slack: LocalSlack = await createLocalSlack({
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    ...(o.users ? { users: o.users } : {}),
    ...(o.userGroups ? { userGroups: o.userGroups } : {}),
    ...(socket ? { appToken: APP_TOKEN, mode: 'socket' as const } : {}),
  });
  const { dir, targetsFile, targets, secrets } = scenarioEnvironment(o.scenarios, o.extraTargets);
  const reportsDir = join(dir, 'reports');
  const env = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    ...(socket ? { SLACK_APP_TOKEN: APP_TOKEN } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    ...(o.approverGroups ? { APPROVER_GROUPS: o.approverGroups.join(',') } : {}),
    SLACK_API_URL: slack.url,
    PORT: '0',
    REDIS_URL: o.redisUrl,
    DOCKER_HOST: `unix://${labEnv().dockerSocket}`,
    TARGETS_FILE: targetsFile,
    APPROVERS: (o.approvers ?? ['U_BOB']).join(','),
    ALLOW_SELF_APPROVAL: String(o.allowSelfApproval ?? false),
    APPROVAL_TTL: o.approvalTtl ?? '15m',
    REPORTS_DIR: reportsDir,
    QUEUE_PREFIX: `rbbe-${randomBytes(3).toString('hex')}`,
    JOB_LOCK_MS: '2000',
    LOG_LEVEL: 'debug',
    ...o.env,
  };
  const parsed = parseConfig(env, 'all');
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const logLines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const running: Running = await serve({
    config: parsed.config,
    role: 'all',
    targets,
    catalogue: builtinCatalogue,
    secrets,
    log,
  });
  if (!(await running.ready)) throw new Error('serve() closed before it was ready');
  const origin = `http://127.0.0.1:${running.port}`;
  slack.botUrl = `${origin}/slack/events`;
  // Ready means Redis, the orchestrator and Slack (auth.test, or the socket) all answered.
  for (let i = 0; (await fetch(`${origin}/readyz`)).status !== 200; i++) {
    if (i > 300) throw new Error('the bot never became ready');
    await new Promise((r) => setTimeout(r, 50));
  }
  if (socket) await slack.waitFor((s) => s.openConnections().length > 0, 30_000);
  const orchestrator = running.orchestrator;
  if (!orchestrator) throw new Error('serve() built no orchestrator');

  /** The root message of an incident: the channel message whose header names it. */
  const root = (id: string): LocalMessage | undefined =>
    slack.messages(CHANNEL).find((m) => m.text.startsWith(`${id} `));

  return {
    mode: o.mode ?? 'http',
    slack,
    orchestrator,
    reportsDir,
    origin,
    logLines,
    run: (text: string, userId = 'U_ALICE') => slack.slashCommand({ userId, channelId: CHANNEL, text }),
    root,
    /** Starts an incident and returns its id (read from the ephemeral reply that names it). */
    async start(text: string, userId = 'U_ALICE'): Promise<string> {
      const reply = await slack.slashCommand({ userId, channelId: CHANNEL, text });
      if (reply.status !== 200) throw new Error(`/incident ${text}: HTTP ${reply.status}`);
      const e = await slack.waitFor(
        (s) => s.ephemerals.find((x) => x.user === userId && /Started \*INC-\d+\*/.test(x.text)),
        20_000,
      );
      return /INC-\d+/.exec(e.text)?.[0] ?? '';
    },
    async waitForStatus(id: string, want: RunStatus[], timeoutMs = 90_000): Promise<RunStatus> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const s = (await orchestrator.load(id))?.state.status;
        // Posts follow the write without holding it up: a status is reached once they are out too.
        if (s && want.includes(s)) return orchestrator.idle().then(() => s);
        if (Date.now() > until) throw new Error(`incident ${id} is ${s}, not ${want.join('/')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** The pending approval card in the incident's thread (a message with an Approve button). */
    async card(id: string, approvalId?: string, timeoutMs = 90_000): Promise<LocalMessage> {
      return slack.waitFor((s) => {
        const r = root(id);
        if (!r) return undefined;
        return s.thread(CHANNEL, r.ts).find((m) => {
          const json = JSON.stringify(m.blocks ?? []);
          return json.includes('"Approve"') && (approvalId === undefined || json.includes(approvalId));
        });
      }, timeoutMs);
    },
    async close() {
      await running.close();
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type BotHarness = Awaited<ReturnType<typeof botHarness>>;
