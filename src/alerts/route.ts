import type { AlertRule } from '../runbooks/index.js';

// Which runbook an alert starts, on which target. Pure. Labels only ever select, by exact name, a
// runbook from the catalogue and a target from the targets file: no label value goes anywhere else
// (the commands come from the runbook and the targets file alone).

/** What routing may choose from: the catalogue's runbook ids, the targets file's names and rules. */
export interface RoutingTable {
  runbooks: readonly string[];
  targets: readonly string[];
  rules: readonly AlertRule[];
}

export type RouteRefusal =
  | 'unsafe-label'
  | 'no-alertname'
  | 'no-route'
  | 'no-target'
  | 'unknown-runbook'
  | 'unknown-target';

export type AlertRoute =
  | {
      ok: true;
      runbookId: string;
      targetName: string;
      alertName: string;
      /** `labels`: the alert's runbook and target labels; a number: the `alerts:` rule (0-based). */
      by: 'labels' | number;
    }
  | { ok: false; reason: RouteRefusal; detail: string };

/** Characters a shell would act on, and control characters: an alert carrying any starts nothing. */
const SHELL_META = /[;&|$`<>(){}[\]\\'"*?!~#]|\p{Cc}/u;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** What a label the bot reads (alertname, runbook, target, severity) must look like. */
export const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

const label = (labels: Readonly<Record<string, string>>, name: string) =>
  Object.hasOwn(labels, name) ? labels[name] : undefined;

/**
 * Shown in a log line: an operator needs to see the wrong name, bounded, in one line, and with
 * anything but printable ASCII as its code point, so that "c\u0430che" (a Cyrillic a) or a
 * zero-width space does not read as the right name in "there is no target …".
 */
const shown = (v: string) =>
  JSON.stringify(v.slice(0, 64)).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  ) + (v.length > 64 ? '…' : '');

/** Why these labels are refused outright, or undefined when they are safe to read. */
export function unsafeLabels(labels: Readonly<Record<string, string>>): string | undefined {
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name)) return `a label name is not a Prometheus label name: ${shown(name)}`;
    if (SHELL_META.test(value)) return `label ${name} holds shell metacharacters or control characters`;
  }
  return undefined;
}

/** The alert's name when it is safe to show and to put in an incident's starter. */
export function alertNameOf(labels: Readonly<Record<string, string>>): string | undefined {
  const name = label(labels, 'alertname');
  return name !== undefined && SAFE_NAME.test(name) ? name : undefined;
}

function refuse(reason: RouteRefusal, detail: string): AlertRoute {
  return { ok: false, reason, detail };
}

function matches(rule: AlertRule, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(rule.match).every(([k, v]) => label(labels, k) === v);
}

/** Routes a firing alert: its `runbook` and `target` labels, else the first `alerts:` rule it matches. */
export function routeAlert(labels: Readonly<Record<string, string>>, table: RoutingTable): AlertRoute {
  const unsafe = unsafeLabels(labels);
  if (unsafe) return refuse('unsafe-label', unsafe);
  const alertName = alertNameOf(labels);
  if (alertName === undefined)
    return refuse('no-alertname', 'the alert has no alertname label of letters, digits, _ . : -');
  let runbookId = label(labels, 'runbook');
  let targetName: string | undefined;
  let by: 'labels' | number = 'labels';
  let targetFrom = 'the label target';
  if (runbookId !== undefined) {
    targetName = label(labels, 'target');
  } else {
    const i = table.rules.findIndex((r) => matches(r, labels));
    const rule = table.rules[i];
    if (!rule) return refuse('no-route', 'no runbook label, and no alerts: rule of the targets file matches');
    by = i;
    runbookId = rule.runbook;
    targetFrom =
      rule.target !== undefined ? `alerts[${i}].target` : `the label ${rule.targetLabel ?? 'target'}`;
    targetName = rule.target ?? label(labels, rule.targetLabel ?? 'target');
  }
  if (!table.runbooks.includes(runbookId))
    return refuse('unknown-runbook', `there is no runbook ${shown(runbookId)}`);
  if (targetName === undefined) return refuse('no-target', `no target: ${targetFrom} is missing`);
  if (!table.targets.includes(targetName))
    return refuse('unknown-target', `there is no target ${shown(targetName)} (from ${targetFrom})`);
  return { ok: true, runbookId, targetName, alertName, by };
}
