import { type Action, renderAction } from './action.js';
import { evaluate } from './condition.js';
import type { ProbeStep, RepairStep, Runbook, StepContext } from './model.js';
import { itemsOf } from './run-queries.js';
import type { TargetView } from './target.js';

// Listings render each step's commands from the very builder that makes its argv, on an example
// target with the runbook's example facts: the text a person reads cannot drift from what runs.
const EXAMPLE_TARGETS: Record<TargetView['kind'], TargetView> = {
  docker: {
    name: '<target>',
    kind: 'docker',
    redis: { container: '<redis container>', host: '<redis host>', port: 6379, hasPassword: false },
    queues: { prefix: 'bull', names: ['<queue>'] },
    clients: [
      {
        name: '<client>',
        container: '<client>',
        health: { url: 'http://<client>:8080/health', status: 200 },
      },
    ],
  },
  ssh: {
    name: '<target>',
    kind: 'ssh',
    redis: { sshHost: '<host>', host: '127.0.0.1', port: 6379, hasPassword: false },
    clients: [],
  },
};

export interface RenderedExample {
  kind: TargetView['kind'];
  commands: string[];
}

function kindsOf(rb: Runbook, step: ProbeStep | RepairStep): TargetView['kind'][] {
  const declared = step.kind === 'repair' ? (step.targetKinds ?? rb.targetKinds) : rb.targetKinds;
  return declared.filter((k) => {
    if (step.kind === 'repair' || !step.when) return true;
    // Only the target's shape is known here; a condition on findings could go either way.
    const unknownCodes = new Set(rb.steps.flatMap((s) => (s.kind === 'diagnose' ? s.emits : [])));
    return (
      evaluate(step.when, {
        findings: [],
        facts: {},
        target: EXAMPLE_TARGETS[k],
        unknownCodes,
        someUnread: true,
      }) !== false
    );
  });
}

/** The commands a step would run on each kind of target it applies to, from example facts. */
export function exampleCommands(rb: Runbook, step: ProbeStep | RepairStep): RenderedExample[] {
  const out: RenderedExample[] = [];
  for (const kind of kindsOf(rb, step)) {
    const target = EXAMPLE_TARGETS[kind];
    const facts = { ...rb.example, ...(step.kind === 'repair' ? (step.example ?? {}) : {}) };
    const items = step.kind === 'repair' ? [undefined] : itemsOf(step, target);
    const actions: Action[] = [];
    for (const item of items) {
      const ctx: StepContext = item === undefined ? { target, facts } : { target, facts, item };
      if (step.kind === 'repair') actions.push(...(step.actions(ctx) ?? []));
      else {
        const a = step.action(ctx);
        if (a) actions.push(a);
      }
    }
    if (actions.length > 0) out.push({ kind, commands: actions.map((a) => renderAction(a, target)) });
  }
  return out;
}
