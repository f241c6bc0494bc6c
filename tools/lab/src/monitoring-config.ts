import { parse, stringify } from 'yaml';
import { LabError } from './lab-error.js';

// The configuration files of the lab's monitoring stack, built as plain data and written as YAML.
// Kept apart from the processes so what the stack is told can be read (and tested) on its own.

export interface MonitoringTarget {
  /** The target's name as the bot's targets file names it: becomes the alerts' `target` label. */
  name: string;
  /** host:port of the Redis, reachable from this machine (a lab container's 10.89.x.x address). */
  redisAddress: string;
  /** Handed to the exporter in its password file, never in argv. */
  password?: string;
}

export interface AlertTimings {
  intervalSec: number;
  groupWaitSec: number;
  groupIntervalSec: number;
  repeatIntervalSec: number;
}

/** The exporter's multi-target form: one exporter, Prometheus names the Redis in `?target=`. */
export const redisUri = (t: MonitoringTarget) => `redis://${t.redisAddress}`;

/** redis_exporter 1.45's -redis.password-file: a JSON map from the scraped URI to its password. */
export function exporterPasswords(targets: readonly MonitoringTarget[]): string {
  const map: Record<string, string> = {};
  for (const t of targets) {
    if (t.password === undefined) continue;
    // The file is keyed by address: two targets on one Redis cannot hold different passwords.
    const known = map[redisUri(t)];
    if (known !== undefined && known !== t.password)
      throw new LabError(`${t.redisAddress} is monitored twice with different passwords`);
    map[redisUri(t)] = t.password;
  }
  return `${JSON.stringify(map)}\n`;
}

export function prometheusConfig(opts: {
  targets: readonly MonitoringTarget[];
  exporterAddress: string;
  alertmanagerAddress: string;
  rulesFile: string;
  intervalSec: number;
}): string {
  const every = `${opts.intervalSec}s`;
  return stringify({
    global: { scrape_interval: every, evaluation_interval: every, scrape_timeout: every },
    rule_files: [opts.rulesFile],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [opts.alertmanagerAddress] }] }] },
    scrape_configs: [
      {
        job_name: 'redis',
        metrics_path: '/scrape',
        // One static group per Redis: its `target` label is what every alert on its series inherits.
        static_configs: opts.targets.map((t) => ({ targets: [redisUri(t)], labels: { target: t.name } })),
        relabel_configs: [
          { source_labels: ['__address__'], target_label: '__param_target' },
          { source_labels: ['__param_target'], target_label: 'instance' },
          { target_label: '__address__', replacement: opts.exporterAddress },
        ],
      },
    ],
  });
}

export function alertmanagerConfig(opts: {
  webhookUrl: string;
  /** A file holding the bearer token, so the token is in neither argv nor the config. */
  tokenFile: string;
  timings: AlertTimings;
}): string {
  const { timings: t } = opts;
  return stringify({
    route: {
      receiver: 'runbook-bot',
      // One notification per fault and target: the bot opens one incident for each.
      group_by: ['alertname', 'target'],
      group_wait: `${t.groupWaitSec}s`,
      group_interval: `${t.groupIntervalSec}s`,
      repeat_interval: `${t.repeatIntervalSec}s`,
    },
    receivers: [
      {
        name: 'runbook-bot',
        webhook_configs: [
          {
            url: opts.webhookUrl,
            send_resolved: true,
            http_config: { authorization: { type: 'Bearer', credentials_file: opts.tokenFile } },
          },
        ],
      },
    ],
  });
}

interface RuleFile {
  groups: { name: string; rules: Record<string, unknown>[] }[];
}

/**
 * The operator's rules with every `for:` replaced: the lab's tests must see an alert within
 * seconds, and must exercise the very expressions and labels the operator loads.
 */
export function rulesWithFor(text: string, forDuration: string): string {
  const doc = parse(text) as Partial<RuleFile> | null;
  if (!doc || !Array.isArray(doc.groups)) throw new LabError('the rules file has no groups');
  for (const g of doc.groups) for (const r of g.rules) if ('alert' in r) r.for = forDuration;
  return stringify(doc);
}
