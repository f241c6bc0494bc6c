// The pieces of a report made from one step or one result, kept as recorded (shortened, not escaped).
import type { Action } from './action.js';
import type { Finding } from './model.js';
import type { ActionOutcome, ReportFinding } from './report-types.js';
import { SHORT_OUTPUT } from './report-types.js';
import type { ExecResult } from './result.js';
import { succeeded } from './result.js';
import type { RunState, StepRun } from './state.js';

function shorten(text: string): { text: string; cut: boolean } {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  let out = lines.slice(0, SHORT_OUTPUT.lines).join('\n');
  let cut = lines.length > SHORT_OUTPUT.lines;
  if (out.length > SHORT_OUTPUT.chars) {
    out = out.slice(0, SHORT_OUTPUT.chars);
    cut = true;
  }
  return { text: out, cut };
}

export const stepsOf = (state: RunState, kind: StepRun['kind']) =>
  Object.values(state.steps).filter((s) => s.kind === kind);

export function reportFinding(run: StepRun, f: Finding): ReportFinding {
  return {
    stepKey: run.key,
    stepTitle: run.item === undefined ? run.title : `${run.title} (${run.item})`,
    round: run.round,
    code: f.code,
    severity: f.severity,
    statement: f.statement,
    evidence: [...f.evidence],
  };
}

export const findingsOf = (run: StepRun): ReportFinding[] => run.findings.map((f) => reportFinding(run, f));

export function actionOutcome(command: string, r: ExecResult | undefined, unknown: boolean): ActionOutcome {
  if (!r)
    return {
      command,
      outcome: unknown ? 'unknown' : 'not-run',
      exitCode: null,
      timedOut: false,
      unreachable: false,
      stdout: '',
      stderr: '',
      outputCut: false,
    };
  const out = shorten(r.stdout);
  const err = shorten(r.stderr);
  return {
    command,
    outcome: succeeded(r) ? 'succeeded' : 'failed',
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    unreachable: r.unreachable,
    ...(r.error === undefined ? {} : { error: r.error }),
    stdout: out.text,
    stderr: err.text,
    outputCut: out.cut || err.cut || r.truncated,
  };
}

/**
 * Where a repair's undo is to be run, from the repair's own first action: a `docker …` undo on the
 * Docker host, anything else where the repair ran (the same container and user, or the SSH host).
 */
export function undoPlace(
  undo: string,
  actions: readonly Action[],
  target: RunState['target'],
): string | undefined {
  if (/^docker /.test(undo)) return 'on the Docker host';
  const a = actions[0];
  if (!a) return undefined;
  const name =
    a.place.at === 'redis'
      ? (target.redis.container ?? target.redis.sshHost)
      : (target.clients.find((c) => c.name === (a.place as { client: string }).client)?.container ??
        undefined);
  if (name === undefined) return undefined;
  const where =
    target.kind === 'ssh' && a.place.at === 'redis' ? `on host ${name} (over SSH)` : `in container ${name}`;
  const user = a.kind === 'exec' || a.kind === 'helper' ? a.user : undefined;
  return user ? `${where}, as ${user}` : where;
}

/** Placeholders a runbook's undo text may still hold, filled from what the repair itself acted on. */
export function undoWithValues(undo: string, actions: readonly Action[], target: RunState['target']): string {
  const nets = actions.flatMap((a) => (a.kind === 'network-connect' ? [a.network] : []));
  const container = target.redis.container;
  let out = undo;
  if (container) out = out.split('<redis container>').join(container);
  if (out.includes('<network>') && nets.length > 0)
    out = nets.map((n) => out.split('<network>').join(n)).join('; ');
  return out;
}
