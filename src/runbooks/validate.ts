import { exampleCommands } from './example.js';
import type { Runbook, RunbookInput, Step } from './model.js';
import { runbookSchema } from './model.js';
import {
  type Edge,
  ENTRY,
  healthyPastUnread,
  reachable,
  unknownFindings,
  type ValidationIssue,
} from './validate-truth.js';

export type { IssueCode, ValidationIssue } from './validate-truth.js';

export type ValidationResult = { ok: true; runbook: Runbook } | { ok: false; issues: ValidationIssue[] };

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

/** Every issue of every runbook, one line each (`id [code] message`); empty when all are valid. */
export function catalogueIssues(runbooks: readonly unknown[]): string[] {
  return runbooks.flatMap((rb, i) => {
    const v = validateRunbook(rb);
    const id = typeof rb === 'object' && rb !== null && 'id' in rb ? String(rb.id) : `#${i}`;
    return v.ok ? [] : v.issues.map((x) => `${id} [${x.code}] ${x.message}`);
  });
}
