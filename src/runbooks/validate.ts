import { codesOf, shapeOnly } from './condition.js';
import { exampleCommands } from './example.js';
import type { Condition, Runbook, RunbookInput, Step } from './model.js';
import { runbookSchema } from './model.js';

export type IssueCode =
  | 'schema'
  | 'duplicate-step'
  | 'dangling-edge'
  | 'wrong-edge-kind'
  | 'unknown-cause'
  | 'unreachable-step'
  | 'unbounded-cycle'
  | 'needs-cycle'
  | 'repair-without-approval'
  | 'decide-without-default'
  | 'unknown-finding'
  | 'healthy-past-unread'
  | 'unbuildable-step';

export interface ValidationIssue {
  code: IssueCode;
  step?: string;
  message: string;
}

export type ValidationResult = { ok: true; runbook: Runbook } | { ok: false; issues: ValidationIssue[] };

const ENTRY = '(start)';

interface Edge {
  from: string;
  to: string;
  label: string;
}

/** Control-flow edges; `needs` edges are ordering inside a phase and are checked on their own. */
function flowEdges(rb: Runbook): Edge[] {
  const edges: Edge[] = [{ from: ENTRY, to: rb.afterDiagnosis, label: 'afterDiagnosis' }];
  for (const s of rb.steps) {
    if (s.kind === 'diagnose') edges.push({ from: ENTRY, to: s.id, label: 'diagnosis' });
    if (s.kind === 'decide') {
      for (const b of s.branches) edges.push({ from: s.id, to: b.to, label: 'branch' });
      if (s.default) edges.push({ from: s.id, to: s.default, label: 'default' });
    }
    if (s.kind === 'approval') {
      edges.push({ from: s.id, to: s.repair, label: 'repair' });
      edges.push({ from: s.id, to: s.onReject, label: 'onReject' });
      edges.push({ from: s.id, to: s.onExpire, label: 'onExpire' });
    }
    if (s.kind === 'repair') {
      for (const v of s.verify) edges.push({ from: s.id, to: v, label: 'verify' });
      edges.push({ from: s.id, to: s.onSuccess, label: 'onSuccess' });
      edges.push({ from: s.id, to: s.onFailure, label: 'onFailure' });
    }
    if (s.kind === 'recheck') edges.push({ from: s.id, to: rb.afterDiagnosis, label: 'recheck' });
    if (s.kind === 'outcome' && s.ifRepaired)
      edges.push({ from: s.id, to: s.ifRepaired, label: 'ifRepaired' });
  }
  return edges;
}

function reachable(edges: readonly Edge[], without?: string, from = ENTRY): Set<string> {
  const seen = new Set<string>([from]);
  const queue = [from];
  for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
    for (const e of edges) {
      if (e.from !== node || e.to === without || seen.has(e.to)) continue;
      seen.add(e.to);
      queue.push(e.to);
    }
  }
  return seen;
}

/** Strongly connected components with more than one node, or a node with an edge to itself. */
function cycles(nodes: readonly string[], next: (n: string) => readonly string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1 || next(v).includes(v)) out.push(scc.reverse());
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out;
}

const ALLOWED_TARGETS: Record<string, readonly Step['kind'][]> = {
  afterDiagnosis: ['decide', 'approval', 'outcome'],
  branch: ['decide', 'approval', 'outcome', 'repair', 'recheck'],
  default: ['decide', 'approval', 'outcome', 'repair', 'recheck'],
  repair: ['repair'],
  onReject: ['decide', 'approval', 'outcome'],
  onExpire: ['decide', 'approval', 'outcome'],
  verify: ['verify'],
  onSuccess: ['decide', 'approval', 'outcome', 'repair', 'recheck'],
  onFailure: ['decide', 'approval', 'outcome', 'repair', 'recheck'],
  diagnosis: ['diagnose'],
  recheck: ['decide', 'approval', 'outcome'],
  ifRepaired: ['outcome'],
};

/** Every condition a runbook states about findings, with where it stands. */
function conditionsOf(rb: Runbook): { at: string; codes: string[] }[] {
  const out: { at: string; codes: string[] }[] = [];
  const add = (at: string, c: Condition | undefined) => c && out.push({ at, codes: codesOf(c) });
  for (const s of rb.steps) {
    if (s.kind === 'decide') for (const b of s.branches) add(`step ${s.id}, branch to ${b.to}`, b.when);
    if (s.kind === 'diagnose' || s.kind === 'verify') add(`step ${s.id}, when`, s.when);
    if (s.kind === 'repair' && s.precondition)
      out.push({ at: `repair ${s.id}, precondition`, codes: s.precondition.findings });
  }
  for (const [id, c] of Object.entries(rb.causes))
    out.push({ at: `cause ${id}, evidence`, codes: c.evidence });
  return out;
}

/** A code nobody emits leaves its branch silently dead: name each one. */
function unknownFindings(rb: Runbook): ValidationIssue[] {
  const emitted = new Set(rb.steps.flatMap((s) => (s.kind === 'diagnose' ? s.emits : [])));
  return conditionsOf(rb).flatMap(({ at, codes }) =>
    codes
      .filter((c) => !emitted.has(c))
      .map((c) => ({
        code: 'unknown-finding' as const,
        step: at.split(/[ ,]/)[1] ?? '',
        message: `${at}: names finding ${c}, which no diagnose step emits`,
      })),
  );
}

/**
 * A healthy outcome must rest on every check the decisions before it read: if one of those was not
 * read, "no branch matched" proves nothing, and the engine ends inconclusive at run time.
 */
function healthyPastUnread(rb: Runbook, good: readonly Edge[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const emitters = (code: string) =>
    rb.steps.filter((s) => s.kind === 'diagnose' && s.emits.includes(code)).map((s) => s.id);
  for (const o of rb.steps) {
    if (o.kind !== 'outcome' || o.outcome !== 'no-fault') continue;
    const restsOn = new Set(o.restsOn ?? []);
    if (o.restsOn === undefined)
      issues.push({
        code: 'healthy-past-unread',
        step: o.id,
        message: `healthy outcome ${o.id} does not say which checks it rests on (restsOn)`,
      });
    for (const id of restsOn) {
      if (rb.steps.find((s) => s.id === id)?.kind !== 'diagnose')
        issues.push({
          code: 'dangling-edge',
          step: o.id,
          message: `outcome ${o.id} rests on ${id}, which is not a diagnose step`,
        });
    }
    // Every check that runs whatever was found (no condition, or one on the target's shape only).
    for (const s of rb.steps)
      if (s.kind === 'diagnose' && (s.when === undefined || shapeOnly(s.when)) && !restsOn.has(s.id))
        issues.push({
          code: 'healthy-past-unread',
          step: o.id,
          message: `healthy outcome ${o.id} does not rest on ${s.id}, a check that always runs: an unread ${s.id} would pass for health`,
        });
    // Decide steps from which this outcome can be reached.
    const before = rb.steps.filter(
      (d) =>
        d.kind === 'decide' &&
        reachable(
          good.filter((e) => e.from !== ENTRY).map((e) => e),
          undefined,
          d.id,
        ).has(o.id),
    );
    for (const d of before) {
      if (d.kind !== 'decide') continue;
      const read = d.branches.flatMap((b) => codesOf(b.when)).flatMap(emitters);
      for (const id of new Set(read))
        if (!restsOn.has(id))
          issues.push({
            code: 'healthy-past-unread',
            step: o.id,
            message: `healthy outcome ${o.id} can be reached past "${d.title}", which reads ${id}, but does not rest on ${id}: an unread ${id} would pass for health`,
          });
    }
  }
  // "Resolved" is a claim of health after a repair: it must come from a healthy outcome's
  // `ifRepaired`, reached after a recheck read the target, never straight from a repair.
  const viaRepaired = new Set(
    rb.steps.flatMap((s) => (s.kind === 'outcome' && s.ifRepaired ? [s.ifRepaired] : [])),
  );
  for (const e of good) {
    const to = rb.steps.find((s) => s.id === e.to);
    if (to?.kind === 'outcome' && to.outcome === 'resolved' && e.label !== 'ifRepaired')
      issues.push({
        code: 'healthy-past-unread',
        step: e.from,
        message: `${e.from === ENTRY ? 'the runbook' : `step ${e.from}`} leads to resolved outcome ${to.id} by ${e.label}: resolved must follow a recheck, through a healthy outcome's ifRepaired`,
      });
  }
  for (const id of viaRepaired) {
    const to = rb.steps.find((s) => s.id === id);
    if (to && (to.kind !== 'outcome' || to.outcome !== 'resolved'))
      issues.push({
        code: 'wrong-edge-kind',
        step: id,
        message: `ifRepaired points to ${id}, which is not a resolved outcome`,
      });
  }
  return issues;
}

function checkGraph(rb: Runbook): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const byId = new Map<string, Step>();
  for (const s of rb.steps) {
    if (byId.has(s.id))
      issues.push({ code: 'duplicate-step', step: s.id, message: `step id ${s.id} is used twice` });
    byId.set(s.id, s);
  }
  const edges = flowEdges(rb);
  const good: Edge[] = [];
  for (const e of edges) {
    const target = byId.get(e.to);
    const at = e.from === ENTRY ? 'the runbook' : `step ${e.from}`;
    if (!target) {
      issues.push({
        code: 'dangling-edge',
        step: e.from,
        message: `${at}: ${e.label} points to missing step ${e.to}`,
      });
    } else if (!ALLOWED_TARGETS[e.label]?.includes(target.kind)) {
      issues.push({
        code: 'wrong-edge-kind',
        step: e.from,
        message: `${at}: ${e.label} points to ${target.kind} step ${e.to}`,
      });
    } else good.push(e);
  }
  for (const s of rb.steps) {
    if (s.kind === 'diagnose' || s.kind === 'verify') {
      for (const n of s.needs) {
        const need = byId.get(n);
        if (!need)
          issues.push({ code: 'dangling-edge', step: s.id, message: `step ${s.id} needs missing step ${n}` });
        else if (need.kind !== s.kind)
          issues.push({
            code: 'wrong-edge-kind',
            step: s.id,
            message: `${s.kind} step ${s.id} needs ${need.kind} ${n}`,
          });
      }
    }
    if (s.kind === 'repair' && s.precondition) {
      const probe = byId.get(s.precondition.step);
      if (!probe)
        issues.push({
          code: 'dangling-edge',
          step: s.id,
          message: `repair ${s.id}: precondition names missing step ${s.precondition.step}`,
        });
      else if (probe.kind !== 'diagnose')
        issues.push({
          code: 'wrong-edge-kind',
          step: s.id,
          message: `repair ${s.id}: precondition step ${probe.id} is ${probe.kind}, not diagnose`,
        });
      else if (probe.forEach)
        issues.push({
          code: 'wrong-edge-kind',
          step: s.id,
          message: `repair ${s.id}: precondition step ${probe.id} runs once per client, so it cannot be re-run as one check`,
        });
    }
    if (s.kind === 'decide') {
      if (s.default === undefined)
        issues.push({
          code: 'decide-without-default',
          step: s.id,
          message: `decide step ${s.id} has no default branch: a run whose findings match no branch would stop`,
        });
      for (const b of s.branches)
        if (b.cause !== undefined && !(b.cause in rb.causes))
          issues.push({
            code: 'unknown-cause',
            step: s.id,
            message: `branch to ${b.to} names unknown cause ${b.cause}`,
          });
    }
  }

  const seen = reachable(good);
  for (const s of rb.steps)
    if (!seen.has(s.id))
      issues.push({
        code: 'unreachable-step',
        step: s.id,
        message: `step ${s.id} cannot be reached from the start`,
      });

  for (const s of rb.steps) {
    if (s.kind !== 'repair') continue;
    const gate = byId.get(s.approval);
    const bound = gate?.kind === 'approval' && gate.repair === s.id;
    if (!bound || (seen.has(s.id) && reachable(good, s.approval).has(s.id)))
      issues.push({
        code: 'repair-without-approval',
        step: s.id,
        message: bound
          ? `repair ${s.id} can be reached without passing its approval ${s.approval}`
          : `repair ${s.id} names ${s.approval}, which is not an approval step that leads to it`,
      });
  }

  issues.push(...unknownFindings(rb), ...healthyPastUnread(rb, good));
  // Listings render commands from each step's builder over the runbook's example facts; a step that
  // builds nothing from them would be listed with no command at all.
  for (const s of rb.steps)
    if (
      (s.kind === 'diagnose' || s.kind === 'verify' || s.kind === 'repair') &&
      exampleCommands(rb, s).length === 0
    )
      issues.push({
        code: 'unbuildable-step',
        step: s.id,
        message: `step ${s.id} builds no command from the runbook's example facts, so it cannot be listed`,
      });

  // A loop is bounded when every way round it passes a step with maxVisits: drop those steps, and
  // any cycle that is left can run forever.
  const boundedStep = (id: string) => {
    const s = byId.get(id);
    return s !== undefined && 'maxVisits' in s && s.maxVisits !== undefined;
  };
  const flowNodes = rb.steps
    .filter((s) => s.kind !== 'diagnose' && s.kind !== 'verify' && !boundedStep(s.id))
    .map((s) => s.id);
  const flowNext = (n: string) =>
    good.filter((e) => e.from === n && e.label !== 'verify' && !boundedStep(e.to)).map((e) => e.to);
  for (const scc of cycles(flowNodes, flowNext)) {
    const head = scc[0] ?? '';
    issues.push({
      code: 'unbounded-cycle',
      step: head,
      message: `cycle ${[...scc, head].join(' → ')} has no step with maxVisits, so it can run forever`,
    });
  }
  const probeNodes = rb.steps.filter((s) => s.kind === 'diagnose' || s.kind === 'verify');
  const needsOf = (n: string) => {
    const s = byId.get(n);
    return s && (s.kind === 'diagnose' || s.kind === 'verify') ? s.needs.filter((x) => byId.has(x)) : [];
  };
  for (const scc of cycles(
    probeNodes.map((s) => s.id),
    needsOf,
  ))
    issues.push({
      code: 'needs-cycle',
      step: scc[0] ?? '',
      message: `steps ${scc.join(', ')} wait for each other`,
    });
  return issues;
}

/** Parses and checks a runbook; every problem comes back as data with a code. */
export function validateRunbook(input: RunbookInput | unknown): ValidationResult {
  const parsed = runbookSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({
        code: 'schema',
        message: `${i.path.join('.')}: ${i.message}`,
      })),
    };
  }
  const issues = checkGraph(parsed.data);
  return issues.length === 0 ? { ok: true, runbook: parsed.data } : { ok: false, issues };
}
