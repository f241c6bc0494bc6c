// Slash command acknowledgement latency while 50 incidents are in flight. Not a test: it prints
// p50/p99 of how long the bot takes to answer the HTTP request Slack sends (Slack gives up at 3 s).
//
//   DOCKER_HOST=unix:///run/runbook-bot-lab/podman.sock npx tsx test/scripts/bench-ack.ts [--split]
//
// Needs the lab (tools/lab/start.sh) and redis-server. It runs the real bot (serve(), Bolt, BullMQ, step
// workers) against the local Slack, a throwaway bot Redis and two healthy lab targets. By default all
// of it in this process (`serve` with every role, the local Slack beside it); with --split, as deployed
// split: `dist/cli.js serve --role bot` and `--role worker` as two processes (run `npm run build` first).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { labDocker, setupScenario } from '@runbook-bot/lab';
import { botHarness, CHANNEL } from '../support/bot-harness.js';
import { BotRedis } from '../support/bot-redis.js';
import { labEnv } from '../support/lab-run.js';
import { bucketQuantiles, splitBot } from './ack-split.js';

const IN_FLIGHT = 50;
const SAMPLES = 300;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};
const line = (label: string, xs: number[]) =>
  `${label.padEnd(34)} n=${String(xs.length).padStart(3)}  p50=${pct(xs, 50)} ms  p99=${pct(xs, 99)} ms  max=${Math.max(...xs)} ms`;

const env = labEnv();
const redis = await BotRedis.start();
const scenarios = [
  await setupScenario('healthy', { env, docker: labDocker(env) }),
  await setupScenario('healthy', { env, docker: labDocker(env) }),
];
const split = process.argv.includes('--split');
const h = split
  ? await splitBot(redis.url, scenarios)
  : await (async () => {
      const b = await botHarness({ redisUrl: redis.url, scenarios });
      return {
        slack: b.slack,
        load: (id: string) => b.orchestrator.load(id),
        ackBuckets: async () => new Map<string, number>(),
        close: () => b.close(),
      };
    })();
const run = (text: string) => h.slack.slashCommand({ userId: 'U_ALICE', channelId: CHANNEL, text });
try {
  // No warm-up: the first burst is what Slack sees right after a start or a deploy.
  const burst = async (n: number, from: number) => {
    const acks: number[] = [];
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        run(`run redis-permissions ${scenarios[i % scenarios.length]?.targetName}`).then((r) => {
          if (r.status !== 200) throw new Error(`run: HTTP ${r.status}`);
          acks.push(r.elapsedMs);
        }),
      ),
    );
    await h.slack.waitFor(
      (s) => s.ephemerals.filter((e) => /Started \*INC-/.test(e.text)).length >= from + n,
      120_000,
    );
    return acks;
  };
  // What this process costs on its own: 50 signed commands (`help`) at once to a server that answers
  // each as soon as it has read it. The local Slack's figures below include this; the bot's do not.
  const floor = await (async () => {
    const bare = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end());
    });
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const real = h.slack.botUrl;
    h.slack.botUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/slack/events`;
    try {
      const rs = await Promise.all(Array.from({ length: IN_FLIGHT }, () => run('help')));
      return rs.map((r) => r.elapsedMs);
    } finally {
      h.slack.botUrl = real;
      await new Promise((r) => bare.close(r));
    }
  })();
  // How long the one event loop was blocked meanwhile: what an ack waits for behind other work.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const loopMs = (q: number) => Math.round(loop.percentile(q) / 1e6);
  loop.enable();
  const b0 = await h.ackBuckets();
  const firstRuns = await burst(IN_FLIGHT, 0);
  const b1 = await h.ackBuckets();
  const firstLoop = `event loop delay${split ? ' of this process (the local Slack)' : ''} during the first burst: p50 ${loopMs(50)} ms, p99 ${loopMs(99)} ms, max ${Math.round(loop.max / 1e6)} ms`;
  loop.reset();
  // The same burst again, with the first 50 incidents in flight: the steady state.
  const steadyRuns = await burst(IN_FLIGHT, IN_FLIGHT);
  const b2 = await h.ackBuckets();
  const steadyLoop = `event loop delay${split ? ' of this process (the local Slack)' : ''} during the steady burst: p50 ${loopMs(50)} ms, p99 ${loopMs(99)} ms, max ${Math.round(loop.max / 1e6)} ms`;
  loop.disable();
  const inFlight = async () => {
    const recent = await Promise.all(
      Array.from({ length: 2 * IN_FLIGHT }, (_, i) => h.load(`INC-${String(i + 1).padStart(4, '0')}`)),
    );
    return recent.filter(
      (r) => r && !['resolved', 'no-fault', 'escalated', 'cancelled'].includes(r.state.status),
    ).length;
  };
  const before = await inFlight();

  const acks: number[] = [];
  const kinds = ['status', 'list', 'status INC-0001', 'help', 'run redis-permissions nowhere'];
  for (let i = 0; i < SAMPLES; i += 5) {
    const batch = await Promise.all(
      kinds.map((k) => h.slack.slashCommand({ userId: 'U_ALICE', channelId: CHANNEL, text: k })),
    );
    for (const r of batch) {
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      acks.push(r.elapsedMs);
    }
  }
  const b3 = await h.ackBuckets();
  const after = await inFlight();
  process.stdout.write(
    [
      split
        ? 'bot and step workers in two processes (serve --role bot, --role worker)'
        : 'bot, step workers and the local Slack in one process',
      `incidents in flight: ${before} when sampling began, ${after} when it ended (of ${2 * IN_FLIGHT} started)`,
      line(`the harness alone (${IN_FLIGHT} at once, no bot)`, floor),
      line(`/incident run, first burst (${IN_FLIGHT} at once)`, firstRuns),
      line(`/incident run, steady (${IN_FLIGHT} at once)`, steadyRuns),
      firstLoop,
      steadyLoop,
      line('/incident status|list|help|…, first 5', acks.slice(0, 5)),
      line('/incident status|list|help|…, steady (5 at once)', acks.slice(5)),
      ...(split
        ? [
            'as the bot itself timed them (request arrival → answer sent; its histogram, bucket bounds):',
            `  run, first burst      ${bucketQuantiles(b0, b1)}`,
            `  run, steady           ${bucketQuantiles(b1, b2)}`,
            `  status|list|help|…    ${bucketQuantiles(b2, b3)}`,
          ]
        : []),
      '',
    ].join('\n'),
  );
} finally {
  await h.close();
  for (const s of scenarios) await s.teardown();
  await redis.stop();
}
