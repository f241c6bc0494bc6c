// Diagnosis wall time through the whole queue (orchestrator → BullMQ → step workers → events →
// engine, posting to a local Slack through the real Slack notifier) against a plain sequential script
// running the same commands, and against the critical path of the commands it really needs; then the
// orchestration overhead per step (time a step spent in the machinery beyond its command).
// Run with the lab started:
//   npm run build && DOCKER_HOST=unix:///run/runbook-bot-lab/podman.sock \
//     npx tsx test/scripts/bench-diagnosis.ts [rounds] [slack-latency-ms] [scenario:runbook ...]
//
// - queue-ms: from the start call to the last diagnosis result applied, read from the step records'
//   own timestamps (events), not from polling.
// - sequential: every command of those steps one after another through `docker exec` / ssh, as a
//   person's script would run them (no direct Redis connection).
// - critical path: each step's commands timed alone, run the way the bot runs them, then the longest
//   chain through the runbook's `needs`: no schedule of these steps can finish sooner.
// - the queue run and the solo runs alternate which goes first, round by round.
// - execs: container execs the engine reports (its `exec` events) during the queue run / during the
//   sequential script, probes and kills included.

import { labDocker, type ScenarioName, setupScenario } from '@runbook-bot/lab';
import { TargetExecutor } from '../../src/executors/target-executor.js';
import type { Action } from '../../src/runbooks/action.js';
import type { Runbook } from '../../src/runbooks/index.js';
import { builtinCatalogue, builtinRunbook } from '../../src/runbooks/library/index.js';
import type { TargetConfig } from '../../src/runbooks/target.js';
import { BotRedis } from '../support/bot-redis.js';
import { labEnv } from '../support/lab-run.js';
import { orchestrationHarness } from '../support/orchestration.js';
import { EXPECTATIONS } from '../support/scenarios.js';
import { slackNotifierOn } from '../support/slack-notifier-on.js';

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const [roundsArg, latencyArg, ...only] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const rounds = Number(roundsArg ?? 3);
const slackLatencyMs = Number(latencyArg ?? 0);
// The bot reads Redis over a direct connection unless told not to (the exec path alone).
const direct = !flags.includes('--no-direct');
const env = labEnv();
const docker = labDocker(env);
const redis = await BotRedis.start();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? Number.NaN;
const overheads: number[] = [];
const rows: string[] = [];

interface Ran {
  key: string;
  stepId: string;
  actions: Action[];
}

/** Each command alone, one after another; returns the time per step key. */
async function solo(ex: TargetExecutor, steps: Ran[]): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (const s of steps) {
    const t = Date.now();
    for (const a of s.actions) await ex.run(a, { timeoutMs: 15_000 });
    times.set(s.key, Date.now() - t);
  }
  return times;
}

/** The longest chain of solo times through `needs` (every instance of a needed step counts). */
function criticalPath(rb: Runbook, steps: Ran[], times: Map<string, number>): number {
  const needs = (id: string) => {
    const def = rb.steps.find((s) => s.id === id);
    return def && 'needs' in def ? def.needs : [];
  };
  const memo = new Map<string, number>();
  const longest = (s: Ran): number => {
    const known = memo.get(s.key);
    if (known !== undefined) return known;
    const before = steps.filter((o) => needs(s.stepId).includes(o.stepId)).map(longest);
    const v = (times.get(s.key) ?? 0) + Math.max(0, ...before);
    memo.set(s.key, v);
    return v;
  };
  return Math.max(0, ...steps.map(longest));
}

/** Execs the container engine started in the target's containers between two instants (its events). */
async function execsBetween(t: TargetConfig, fromMs: number, toMs: number): Promise<number> {
  const names = new Set(
    [
      t.redis.docker?.container,
      ...t.clients.map((c) => ('docker' in c ? c.docker?.container : undefined)),
    ].filter((n): n is string => n !== undefined),
  );
  const stream = await docker.getEvents({
    since: Math.floor(fromMs / 1000) - 1,
    until: Math.ceil(toMs / 1000) + 1,
    filters: { type: ['container'], event: ['exec'] },
  });
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { timeNano?: number; Actor?: { Attributes?: { name?: string } } })
    .filter((e) => {
      const at = (e.timeNano ?? 0) / 1e6;
      return at >= fromMs && at <= toMs && names.has(e.Actor?.Attributes?.name ?? '');
    }).length;
}

// A direct Redis connection is the bot's own way; a person's script execs redis-cli.
const scriptTarget = (t: TargetConfig): TargetConfig => {
  const { direct: _d, ...redisSide } = t.redis;
  return { ...t, redis: redisSide };
};

const seen = new Set<string>();
for (const e of EXPECTATIONS) {
  const key = `${e.scenario}:${e.runbook}`;
  if (seen.has(key) || (only.length > 0 && !only.includes(key))) continue;
  seen.add(key);
  const rb = builtinRunbook(e.runbook);
  if (!rb) throw new Error(`no runbook ${e.runbook}`);
  const queued: number[] = [];
  const sequential: number[] = [];
  const critical: number[] = [];
  const execs: number[] = [];
  const scriptExecs: number[] = [];
  let steps: Ran[] = [];
  for (let r = 0; r < rounds; r++) {
    const s = await setupScenario(e.scenario as ScenarioName, { env, docker, direct });
    let slack: Awaited<ReturnType<typeof slackNotifierOn>> | undefined;
    const h = await orchestrationHarness({
      redisUrl: redis.url,
      scenarios: [s],
      inProcessWorkers: true,
      notifier: (store) => {
        const made = slackNotifierOn(store, {
          runbooks: builtinCatalogue.get,
          ...(slackLatencyMs ? { apiLatencyMs: slackLatencyMs } : {}),
        });
        return {
          handle: async (rec, c) => {
            slack ??= await made;
            await slack.notifier.handle(rec, c);
          },
        };
      },
    });
    const secretOf = (n: string) => s.env[n];
    const bot = new TargetExecutor(s.targetName, s.target, { docker, secretOf });
    const script = new TargetExecutor(s.targetName, scriptTarget(s.target), { docker, secretOf });
    const soloRuns = async () => {
      const from = Date.now();
      sequential.push([...(await solo(script, steps)).values()].reduce((a, b) => a + b, 0));
      scriptExecs.push(await execsBetween(s.target, from, Date.now()));
      critical.push(criticalPath(rb, steps, await solo(bot, steps)));
    };
    try {
      // Round 0 must go first through the queue: that is how the steps are known.
      if (r % 2 === 1) await soloRuns();
      const t0 = Date.now();
      const started = await h.orchestrator.start({
        runbookId: e.runbook,
        targetName: s.targetName,
        startedBy: 'U_BENCH',
        meta: { channel: 'C_INCIDENTS' },
      });
      if (!started.ok) throw new Error(started.refusal.message);
      await h.waitForStatus(
        started.id,
        ['awaiting-approval', 'escalated', 'no-fault', 'handed-over'],
        120_000,
      );
      const rec = await h.store.load(started.id);
      const diag = Object.values(rec?.state.steps ?? {}).filter(
        (x) => x.kind === 'diagnose' && x.status === 'done' && x.round === 1,
      );
      const end = Math.max(...diag.map((x) => x.finishedAt ?? 0));
      queued.push(end - t0);
      execs.push(await execsBetween(s.target, t0, end));
      for (const x of diag) {
        const ran = x.results.reduce((sum, res) => sum + res.durationMs, 0);
        if (x.issuedAt !== undefined && x.finishedAt !== undefined)
          overheads.push(x.finishedAt - x.issuedAt - ran);
      }
      steps = diag
        .sort((a, b) => (a.issuedAt ?? 0) - (b.issuedAt ?? 0))
        .map((x) => ({ key: x.key, stepId: x.stepId, actions: x.actions }));
      if (r % 2 === 0) await soloRuns();
    } finally {
      await Promise.all([bot.close(), script.close()]);
      await h.close();
      await slack?.slack.close();
      await s.teardown();
    }
  }
  const q = median(queued);
  const sq = median(sequential);
  const cp = median(critical);
  rows.push(
    [
      key.padEnd(44),
      String(steps.length).padStart(5),
      String(q).padStart(8),
      String(sq).padStart(10),
      (q / sq).toFixed(2).padStart(6),
      String(cp).padStart(9),
      (q / cp).toFixed(2).padStart(7),
      `${median(execs)}/${median(scriptExecs)}`.padStart(8),
    ].join(' '),
  );
}
await redis.stop();
console.log(
  `diagnosis wall time, median of ${rounds} rounds (ms), real Slack notifier, local Slack answering after ${slackLatencyMs} ms, Redis reads ${direct ? 'over a direct connection' : 'by exec only'}\n`,
);
console.log(`${'scenario:runbook'.padEnd(44)} steps queue-ms sequential  ratio  critical  to-crit   execs`);
for (const r of rows) console.log(r);
console.log(
  `\norchestration overhead per step (issued → result applied, minus the command's own time), ${overheads.length} steps: p50 ${median(overheads)} ms, p95 ${pct(overheads, 95)} ms`,
);
process.exit(0);
