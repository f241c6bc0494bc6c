import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { type Daemon, startDaemon } from './child.js';
import { waitFor } from './docker.js';
import { LabError } from './lab-error.js';
import {
  type AlertTimings,
  alertmanagerConfig,
  exporterPasswords,
  type MonitoringTarget,
  prometheusConfig,
  rulesWithFor,
} from './monitoring-config.js';
import type { LabScenario } from './types.js';

// The lab's real monitoring stack, for the bot's Alertmanager intake: redis_exporter, Prometheus
// and Alertmanager from Debian's packages (tools/lab/install.sh), each a direct child process on a
// loopback port with its own storage under `dir`. Put `dir` under LAB_DIR with a scenario's prefix
// (LAB_DIR/rbb-xxxxxx-monitoring) and the scenario's teardown, or tools/lab/stop.sh, also ends
// these processes should close() never run: both kill what has the prefix's path in its argv.

/** The operator's rules (deploy/prometheus/), which the lab loads with short `for:` durations. */
export const DEFAULT_RULES_FILE = fileURLToPath(
  new URL('../../../deploy/prometheus/runbook-bot-rules.yml', import.meta.url),
);

export interface MonitoringOptions {
  targets: readonly MonitoringTarget[];
  webhook: { url: string; bearerToken: string };
  /** Config, logs and storage of all three daemons; created if missing. */
  dir: string;
  /** Prometheus's scrape and evaluation interval (default 2 s). */
  intervalSec?: number;
  /** Alertmanager's grouping (defaults 1 s, 5 s, 15 s): short enough for a test to see a repeat. */
  groupWaitSec?: number;
  groupIntervalSec?: number;
  repeatIntervalSec?: number;
  rulesFile?: string;
  /** What every rule's `for:` becomes in the lab's copy (default 0s: fire on the first evaluation). */
  ruleFor?: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface Monitoring {
  prometheusUrl: string;
  alertmanagerUrl: string;
  exporterUrl: string;
  ports: { prometheus: number; alertmanager: number; exporter: number };
  timings: AlertTimings;
  dir: string;
  /** Waits until Prometheus has scraped every target and reports each `up` (and redis_up 1 if asked). */
  waitUntilUp(opts?: { timeoutMs?: number; redisUp?: boolean }): Promise<void>;
  /** An instant query against the lab's Prometheus. */
  query(promql: string): Promise<PromSample[]>;
  /** Stops all three and waits until they are gone. Safe to repeat. */
  close(): Promise<void>;
}

// The lab only ever sends traffic to loopback and to its own containers (10.89.x.x).
function checkedAddress(t: MonitoringTarget): void {
  const m = /^(.+):(\d{1,5})$/.exec(t.redisAddress);
  const host = m?.[1] ?? '';
  const lab = /^10\.89\.\d{1,3}\.\d{1,3}$/.test(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (!m || isIP(host) !== 4 || !lab)
    throw new LabError(`a monitored Redis is a loopback or lab (10.89.x.x) host:port, got ${t.redisAddress}`);
}

async function promQuery(baseUrl: string, promql: string): Promise<PromSample[]> {
  const res = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}`, {
    signal: AbortSignal.timeout(5000),
  });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success')
    throw new LabError(`prometheus query ${promql}: ${body.error ?? res.status}`);
  return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

interface TargetsBody {
  data: { activeTargets: { labels: Record<string, string>; health: string; lastError: string }[] };
}

export async function startMonitoring(opts: MonitoringOptions): Promise<Monitoring> {
  opts.targets.forEach(checkedAddress);
  const timings: AlertTimings = {
    intervalSec: opts.intervalSec ?? 2,
    groupWaitSec: opts.groupWaitSec ?? 1,
    groupIntervalSec: opts.groupIntervalSec ?? 5,
    repeatIntervalSec: opts.repeatIntervalSec ?? 15,
  };
  const { dir } = opts;
  const at = (name: string) => join(dir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Secrets go in files only this user can read: never in argv, where `ps` would show them.
  await writeFile(at('redis-passwords.json'), exporterPasswords(opts.targets), { mode: 0o600 });
  await writeFile(at('webhook-token'), opts.webhook.bearerToken, { mode: 0o600 });
  const rules = await readFile(opts.rulesFile ?? DEFAULT_RULES_FILE, 'utf8');
  await writeFile(at('rules.yml'), rulesWithFor(rules, opts.ruleFor ?? '0s'));
  await writeFile(
    at('alertmanager.yml'),
    alertmanagerConfig({ webhookUrl: opts.webhook.url, tokenFile: at('webhook-token'), timings }),
  );

  const daemons: Daemon[] = [];
  const close = async () => {
    await Promise.all(daemons.splice(0).map((d) => d.stop()));
  };
  try {
    // Multi-target mode: one exporter, told nothing about any Redis itself (-redis.addr= empty,
    // so its own /metrics never dials localhost:6379); Prometheus names each Redis in ?target=.
    const exporter = await startDaemon('redis_exporter', (port) => ({
      file: 'prometheus-redis-exporter',
      args: [
        `-web.listen-address=127.0.0.1:${port}`,
        '-redis.addr=',
        `-redis.password-file=${at('redis-passwords.json')}`,
        '-connection-timeout=2s',
      ],
      logFile: at('redis-exporter.log'),
      readyUrl: `http://127.0.0.1:${port}/health`,
    }));
    daemons.push(exporter);
    const alertmanager = await startDaemon('alertmanager', (port) => ({
      file: 'prometheus-alertmanager',
      args: [
        `--config.file=${at('alertmanager.yml')}`,
        `--storage.path=${at('alertmanager-data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Empty: no gossip cluster, which would otherwise listen on 0.0.0.0:9094.
        '--cluster.listen-address=',
      ],
      logFile: at('alertmanager.log'),
      readyUrl: `http://127.0.0.1:${port}/-/ready`,
    }));
    daemons.push(alertmanager);
    await writeFile(
      at('prometheus.yml'),
      prometheusConfig({
        targets: opts.targets,
        exporterAddress: `127.0.0.1:${exporter.port}`,
        alertmanagerAddress: `127.0.0.1:${alertmanager.port}`,
        rulesFile: at('rules.yml'),
        intervalSec: timings.intervalSec,
      }),
    );
    const prometheus = await startDaemon('prometheus', (port) => ({
      file: 'prometheus',
      args: [
        `--config.file=${at('prometheus.yml')}`,
        `--storage.tsdb.path=${at('prometheus-data')}`,
        '--storage.tsdb.retention.time=2h',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      logFile: at('prometheus.log'),
      readyUrl: `http://127.0.0.1:${port}/-/ready`,
    }));
    daemons.push(prometheus);

    const prometheusUrl = `http://127.0.0.1:${prometheus.port}`;
    const query = (promql: string) => promQuery(prometheusUrl, promql);
    const waitUntilUp: Monitoring['waitUntilUp'] = async (o = {}) => {
      const names = opts.targets.map((t) => t.name).sort();
      await waitFor(
        `prometheus to report ${names.join(', ')} up`,
        async () => {
          const res = await fetch(`${prometheusUrl}/api/v1/targets?state=active`);
          const { data } = (await res.json()) as TargetsBody;
          const up = data.activeTargets.filter((t) => t.health === 'up').map((t) => t.labels.target ?? '');
          if (JSON.stringify(up.sort()) !== JSON.stringify(names)) {
            const bad = data.activeTargets.find((t) => t.health !== 'up');
            if (bad?.lastError) throw new LabError(`${bad.labels.target}: ${bad.lastError}`);
            return undefined;
          }
          if (!o.redisUp) return true;
          const redisUp = (await query('redis_up == 1')).map((s) => s.metric.target ?? '');
          return JSON.stringify(redisUp.sort()) === JSON.stringify(names) ? true : undefined;
        },
        o.timeoutMs ?? 30_000,
        250,
      );
    };
    return {
      prometheusUrl,
      alertmanagerUrl: `http://127.0.0.1:${alertmanager.port}`,
      exporterUrl: `http://127.0.0.1:${exporter.port}`,
      ports: { prometheus: prometheus.port, alertmanager: alertmanager.port, exporter: exporter.port },
      timings,
      dir,
      waitUntilUp,
      query,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * A scenario's Redis as the monitoring stack dials it: a container by its address (the lab's
 * containers are reachable from the host, and by address avoids Podman's DNS stalls), a host Redis
 * on loopback. The password is the Redis's real one, not what the target's env var may hold.
 */
export async function monitoringTargetOf(scenario: LabScenario, docker: Docker): Promise<MonitoringTarget> {
  const { redis } = scenario.target;
  const password = scenario.redisPassword !== undefined ? { password: scenario.redisPassword } : {};
  if (!redis.docker)
    return { name: scenario.targetName, redisAddress: `127.0.0.1:${redis.port}`, ...password };
  const info = await docker.getContainer(redis.docker.container).inspect();
  const ip = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
  if (!ip) throw new LabError(`${redis.docker.container} has no address (is it running?)`);
  return { name: scenario.targetName, redisAddress: `${ip}:${redis.port}`, ...password };
}
