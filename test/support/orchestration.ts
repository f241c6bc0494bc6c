import { randomBytes } from 'node:crypto';
import { type LabScenario, labDocker } from '@runbook-bot/lab';
import { TargetExecutor } from '../../src/executors/target-executor.js';
import { IncidentReports } from '../../src/incidents/incident-reports.js';
import { Orchestrator } from '../../src/incidents/orchestrator.js';
import type { Logger, Notifier } from '../../src/incidents/ports.js';
import { redisFor } from '../../src/queue/connection.js';
import { BullDispatcher } from '../../src/queue/dispatcher.js';
import { startEventWorker } from '../../src/queue/event-worker.js';
import { RedisRunStore } from '../../src/queue/redis-run-store.js';
import { startStepWorkers } from '../../src/queue/step-worker.js';
import type { RunStatus } from '../../src/runbooks/index.js';
import { builtinCatalogue, builtinRunbook } from '../../src/runbooks/library/index.js';
import { labEnv } from './lab-run.js';
import { MemoryReportStore } from './memory-report-store.js';
import { RecordingNotifier } from './recording-notifier.js';
import { scenarioEnvironment } from './scenario-env.js';

export { RecordingNotifier };

/** Log lines kept in memory, so tests can count what the in-process workers did. */
export class MemoryLog implements Logger {
  readonly lines: { msg: string; obj: Record<string, unknown> }[] = [];
  info = (obj: object, msg = '') => void this.lines.push({ msg, obj: obj as Record<string, unknown> });
  warn = this.info;
  error = this.info;
}

export interface HarnessOptions {
  redisUrl: string;
  scenarios: LabScenario[];
  approvers?: string[];
  allowSelfApproval?: boolean;
  /** Run step workers inside the test process too (otherwise only worker processes run steps). */
  inProcessWorkers?: boolean;
  lockMs?: number;
  approvalTtlMs?: number;
  /** The notifier the orchestrator posts through; a recording one unless told. */
  notifier?: (store: RedisRunStore) => Notifier;
}

/** The bot's side, in-process, against a real Redis and the real lab: orchestrator and event worker. */
export async function orchestrationHarness(o: HarnessOptions) {
  const prefix = `rbbt-${randomBytes(4).toString('hex')}`;
  const { targetsFile, targets, secrets } = scenarioEnvironment(o.scenarios);
  const connection = redisFor(o.redisUrl, 'worker');
  connection.on('error', () => undefined);
  const store = new RedisRunStore(connection, prefix);
  const dispatcher = new BullDispatcher(connection, prefix);
  const recording = new RecordingNotifier();
  const notifier = o.notifier?.(store) ?? recording;
  const reportStore = new MemoryReportStore();
  const log = new MemoryLog();
  const lockMs = o.lockMs ?? 2000;
  const orchestrator = new Orchestrator({
    store,
    dispatcher,
    notifier,
    targets,
    catalogue: builtinCatalogue,
    reports: new IncidentReports({
      runbooks: builtinCatalogue.get,
      store: reportStore,
      secrets: () => Object.values(secrets),
      now: Date.now,
    }),
    policy: { approvers: o.approvers ?? ['U_APPROVER'], allowSelfApproval: o.allowSelfApproval ?? false },
    approvalTtlMs: o.approvalTtlMs ?? 900_000,
    now: Date.now,
    log,
  });
  const closers: (() => Promise<unknown>)[] = [];
  const events = startEventWorker({ connection, prefix, orchestrator, concurrency: 16, log });
  closers.push(() => events.close());
  if (o.inProcessWorkers) {
    const docker = labDocker(labEnv());
    const executors = new Map<string, TargetExecutor>();
    const runnerFor = (name: string) => {
      const cfg = targets.config(name);
      if (!cfg) throw new Error(`no target ${name}`);
      const ex =
        executors.get(name) ?? new TargetExecutor(name, cfg, { docker, secretOf: (e) => secrets[e] });
      executors.set(name, ex);
      return ex;
    };
    const workers = startStepWorkers({
      connection,
      prefix,
      runnerFor,
      store,
      runbooks: builtinRunbook,
      dispatcher,
      concurrency: 8,
      lockMs,
      log,
    });
    closers.push(
      () => workers.close(),
      async () => Promise.all([...executors.values()].map((e) => e.close())),
    );
  }

  const statusOf = async (id: string) => (await store.load(id))?.state.status;
  return {
    prefix,
    orchestrator,
    store,
    reportStore,
    dispatcher,
    notifier: recording,
    log,
    /** The environment for `serve --role worker` processes sharing this harness's queues. */
    workerEnv: (extra: Record<string, string> = {}): Record<string, string> => ({
      REDIS_URL: o.redisUrl,
      DOCKER_HOST: `unix://${labEnv().dockerSocket}`,
      TARGETS_FILE: targetsFile,
      QUEUE_PREFIX: prefix,
      JOB_LOCK_MS: String(lockMs),
      WORKER_CONCURRENCY: '4',
      LOG_LEVEL: 'info',
      ...secrets,
      ...extra,
    }),
    async waitForStatus(id: string, want: RunStatus[], timeoutMs = 60_000): Promise<RunStatus> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const s = await statusOf(id);
        // Posts follow the write without holding it up: a status is reached once they are out too.
        if (s && want.includes(s)) return orchestrator.idle().then(() => s);
        if (Date.now() > until) {
          const rec = await store.load(id);
          const steps = Object.values(rec?.state.steps ?? {}).map(
            (x) =>
              `${x.key}:${x.status}#${x.attempt}${x.check ? ` [${x.check.passed ? 'pass' : 'FAIL'}: ${x.check.statement}]` : ''}${x.unread ? ` (unread: ${x.unread})` : ''}`,
          );
          // A flake on a slow machine must explain itself from the log alone.
          const story = (rec?.state.timeline ?? []).slice(-25).map((t) => `  ${t.kind}: ${t.text}`);
          throw new Error(
            [
              `incident ${id} is ${s}, not ${want.join('/')} after ${timeoutMs} ms`,
              `outcome: ${rec?.state.outcome?.summary ?? '(none)'}`,
              'steps:',
              ...steps.map((x) => `  ${x}`),
              'timeline (last 25):',
              ...story,
            ].join('\n'),
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** The incident a handover opened; the status is written first, the handover just after. */
    async handedOverTo(id: string, timeoutMs = 10_000): Promise<string> {
      for (const until = Date.now() + timeoutMs; Date.now() < until; ) {
        const child = (await store.load(id))?.meta.handedOverTo;
        if (child) return child;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`incident ${id} opened no handover incident within ${timeoutMs} ms`);
    },
    async pendingApproval(id: string) {
      const rec = await store.load(id);
      const a = Object.values(rec?.state.approvals ?? {}).find((x) => x.status === 'pending');
      if (!a) throw new Error(`incident ${id} has no pending approval`);
      return a;
    },
    async close() {
      await orchestrator.idle();
      for (const c of closers) await c();
      await dispatcher.close();
      connection.disconnect();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof orchestrationHarness>>;
