import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type LabEnv,
  type LabScenario,
  labDocker,
  type Monitoring,
  monitoringTargetOf,
  type ScenarioName,
  setupScenario,
  startMonitoring,
  teardownPrefix,
} from '@runbook-bot/lab';
import { createLocalSlack } from '@runbook-bot/local-slack';
import { stringify } from 'yaml';
import {
  claimDataDir,
  DEMO_EXIT,
  DemoError,
  newPrefixBase,
  portTakenMessage,
  prefixFor,
} from './demo-claim.js';
import { startProduct } from './product-process.js';
import { OwnRedis } from './redis-server.js';

// Each target keeps one prefix for the demo's life, so breaking it again rebuilds the very same
// container names and the targets file the bot loaded stays true. The prefix is the demo's own
// (random unless given), so a second demo, or a test, never removes this one's targets.
export const DEMO_TARGETS: readonly { name: string; scenario: ScenarioName; what: string }[] = [
  {
    name: 'cache',
    scenario: 'rdb-permission',
    what: 'data dir owned by uid 1001, Redis runs as 999 (seed 000)',
  },
  {
    name: 'sessions',
    scenario: 'wrong-network',
    what: 'Redis on another network than its client (seed 002)',
  },
  { name: 'store', scenario: 'healthy', what: 'nothing wrong' },
];

export const DEMO_USERS = [
  { id: 'U_ALICE', name: 'alice', realName: 'Alice (on call)' },
  { id: 'U_BOB', name: 'bob', realName: 'Bob (approver)' },
  { id: 'U_CAROL', name: 'carol', realName: 'Carol (not allowed to approve)' },
];

export interface Demo {
  consoleUrl: string;
  reportsDir: string;
  slackMode: 'http' | 'socket';
  /** Prometheus's URL when the monitoring stack runs (alerts open incidents by themselves). */
  prometheusUrl?: string;
  /** The lab prefix of each target (rbb-<base><n>-), this demo's alone. */
  labPrefixes: Record<string, string>;
  close(): Promise<void>;
}

/**
 * The whole product on one machine: its own Redis (AOF, under `dataDir`), broken lab targets, the
 * product (`runbook-bot serve --role all`, a process of its own) and a local Slack with a web
 * console in place of a workspace.
 */
export async function startDemo(o: {
  repoRoot: string;
  dataDir: string;
  lab: LabEnv;
  /** The demo's own warnings and the product's log lines. */
  log(line: string): void;
  consolePort?: number;
  /** Five hex digits naming this demo's lab resources (rbb-<base><n>-); random when absent. */
  prefixBase?: string;
  /**
   * How the local Slack reaches the bot: signed HTTP to its /slack/events (the default), or Socket Mode,
   * the product then connecting out with an app-level token as it would behind a firewall.
   */
  slackMode?: 'http' | 'socket';
  /**
   * Also run the lab's monitoring stack (redis_exporter, Prometheus, Alertmanager) pointed at the
   * bot's alert intake: a broken target then opens its incident with nobody typing a command.
   */
  alerts?: boolean;
}): Promise<Demo> {
  const socket = o.slackMode === 'socket';
  const base = o.prefixBase ?? newPrefixBase();
  if (!/^[0-9a-f]{5}$/.test(base)) throw new Error(`prefixBase must be five hex digits, got ${base}`);
  const prefixOf = (t: (typeof DEMO_TARGETS)[number]) => prefixFor(base, DEMO_TARGETS.indexOf(t) + 1);
  const docker = labDocker(o.lab);
  // Refused at once while another live demo uses the same directory (its Redis's files are there).
  const claim = claimDataDir(o.dataDir, { pid: process.pid, prefixBase: base, now: new Date() });
  const undo: (() => Promise<unknown>)[] = [async () => claim.release()];
  const close = async () => {
    for (const u of undo.reverse())
      await u().catch((e: unknown) => o.log(`demo: close step failed: ${String(e)}`));
  };
  try {
    // A demo that died without cleaning up left its targets: they are this directory's, so removed.
    if (claim.stale)
      for (let i = 1; i <= DEMO_TARGETS.length; i++)
        await teardownPrefix(prefixFor(claim.stale, i), { env: o.lab, docker });
    // The console's port is taken first: a taken port fails the demo before anything is built.
    const signingSecret = randomBytes(16).toString('hex');
    const botToken = `xoxb-demo-${randomBytes(8).toString('hex')}`;
    const appToken = `xapp-1-demo-${randomBytes(8).toString('hex')}`;
    const slack = await createLocalSlack({
      signingSecret,
      botToken,
      ...(socket ? { appToken, mode: 'socket' as const } : {}),
      ...(o.consolePort !== undefined ? { port: o.consolePort } : {}),
      users: DEMO_USERS,
      consoleExtras: {
        title: 'Lab targets',
        actions: DEMO_TARGETS.map((t) => ({
          id: `break-${t.name}`,
          label: t.scenario === 'healthy' ? `Rebuild ${t.name} (healthy)` : `Break ${t.name}: ${t.what}`,
          run: async () => {
            await build(t);
            if (o.alerts) await watch();
            return `${t.name} rebuilt as lab scenario ${t.scenario}: ${t.what}${o.alerts ? '; watched by Prometheus' : ''}`;
          },
        })),
      },
    }).catch((e: unknown) => {
      const taken = portTakenMessage(e, o.consolePort);
      throw taken ? new DemoError(taken, DEMO_EXIT.portTaken) : e;
    });
    undo.push(() => slack.close());
    const redis = await OwnRedis.start(join(o.dataDir, 'redis'));
    undo.push(() => redis.stop());
    const targets: Record<string, unknown> = {};
    const secrets: Record<string, string> = {};
    const built = new Map<string, LabScenario>();
    const alertToken = randomBytes(16).toString('hex');
    let monitoring: Monitoring | undefined;
    let productPort = 0;
    // A rebuilt container may come back on another address: the stack is started again with the
    // addresses as they are now (about 6 s, most of it Prometheus holding new targets back).
    const watch = async () => {
      await monitoring?.close();
      const watched = await Promise.all(
        DEMO_TARGETS.map(async (t) => {
          const s = built.get(t.name);
          return s ? { ...(await monitoringTargetOf(s, docker)), name: t.name } : undefined;
        }),
      );
      monitoring = await startMonitoring({
        targets: watched.filter((x) => x !== undefined),
        webhook: { url: `http://127.0.0.1:${productPort}/alerts/alertmanager`, bearerToken: alertToken },
        dir: join(o.dataDir, 'monitoring'),
      });
      await monitoring.waitUntilUp();
    };
    const build = async (t: (typeof DEMO_TARGETS)[number]) => {
      await teardownPrefix(prefixOf(t), { env: o.lab, docker });
      const s = await setupScenario(t.scenario, { env: o.lab, docker, prefix: prefixOf(t) });
      Object.assign(secrets, s.env);
      built.set(t.name, s);
      return s;
    };
    for (const t of DEMO_TARGETS) {
      targets[t.name] = (await build(t)).target;
      undo.push(() => teardownPrefix(prefixOf(t), { env: o.lab, docker }));
    }
    mkdirSync(o.dataDir, { recursive: true });
    const targetsFile = join(o.dataDir, 'targets.yaml');
    // The product validates it at start and refuses to serve an invalid one.
    writeFileSync(targetsFile, stringify({ targets }));

    const reportsDir = join(o.dataDir, 'reports');
    const product = await startProduct({
      repoRoot: o.repoRoot,
      onLog: o.log,
      env: {
        SLACK_BOT_TOKEN: botToken,
        // With an app-level token the product runs Bolt in Socket Mode and needs no signing secret.
        ...(socket ? { SLACK_APP_TOKEN: appToken } : { SLACK_SIGNING_SECRET: signingSecret }),
        SLACK_API_URL: slack.url,
        REDIS_URL: redis.url,
        DOCKER_HOST: `unix://${o.lab.dockerSocket}`,
        TARGETS_FILE: targetsFile,
        APPROVERS: 'U_BOB',
        APPROVAL_TTL: '15m',
        REPORTS_DIR: reportsDir,
        QUEUE_PREFIX: 'rbb-demo',
        JOB_LOCK_MS: '5000',
        LOG_LEVEL: 'warn',
        ...(o.alerts ? { ALERT_WEBHOOK_TOKEN: alertToken, ALERT_CHANNEL: 'C_INCIDENTS' } : {}),
        ...secrets,
      },
    });
    undo.push(() => product.close());
    productPort = product.port;
    if (o.alerts) {
      await watch();
      undo.push(async () => monitoring?.close());
    }
    slack.botUrl = `http://127.0.0.1:${product.port}/slack/events`;
    // /readyz can answer before Bolt's socket is up; the first command would otherwise wait for it.
    if (socket) await slack.waitFor((s) => s.openConnections().length > 0, 30_000);
    return {
      consoleUrl: slack.origin,
      reportsDir,
      slackMode: socket ? 'socket' : 'http',
      ...(monitoring ? { prometheusUrl: monitoring.prometheusUrl } : {}),
      labPrefixes: Object.fromEntries(DEMO_TARGETS.map((t) => [t.name, prefixOf(t)])),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
