import { describeCondition } from './condition.js';
import { exampleCommands } from './example.js';
import type { ProbeStep, RepairStep, Runbook, Step } from './model.js';

const FOR_EACH = {
  client: 'once per client',
  'health-client': 'once per client with a health check',
  queue: 'once per queue',
} as const;

/** Each command as the step's own builder renders it for an example target of each kind. */
function commandLines(rb: Runbook, s: ProbeStep | RepairStep): string[] {
  const rendered = exampleCommands(rb, s);
  if (rendered.length === 0) return ['      $ (built from what earlier checks find)'];
  const one =
    rendered.length === 1 ||
    rendered.every((r) => r.commands.join('\n') === rendered[0]?.commands.join('\n'));
  return (one ? rendered.slice(0, 1) : rendered).flatMap((r) =>
    r.commands.map((c) => `      $ ${c}${one ? '' : `   (${r.kind})`}`),
  );
}

function line(s: Step, rb: Runbook): string[] {
  switch (s.kind) {
    case 'diagnose':
    case 'verify': {
      const extras = [
        s.needs.length ? `after ${s.needs.join(', ')}` : '',
        s.when ? `when ${describeCondition(s.when)}` : '',
        s.forEach ? FOR_EACH[s.forEach] : '',
        s.kind === 'diagnose' ? `emits ${s.emits.join(', ')}` : '',
        s.kind === 'verify' && s.retry ? `retries ${s.retry.attempts}×` : '',
      ].filter(Boolean);
      return [
        `  ${s.id}: ${s.title}${extras.length ? ` (${extras.join('; ')})` : ''}`,
        ...commandLines(rb, s),
      ];
    }
    case 'decide':
      return [
        `  ${s.id}: ${s.title}`,
        ...s.branches.map(
          (b) =>
            `      if ${describeCondition(b.when)} → ${b.to}${b.cause ? `  [${rb.causes[b.cause]?.title ?? b.cause}]` : ''}`,
        ),
        `      otherwise → ${s.default ?? '(none)'}`,
      ];
    case 'approval':
      return [`  ${s.id}: ${s.title} → ${s.repair}; rejected → ${s.onReject}; expired → ${s.onExpire}`];
    case 'repair':
      return [
        `  ${s.id}: ${s.title}  [risk ${s.risk}, needs approval ${s.approval}]`,
        ...commandLines(rb, s),
        `      verify: ${s.verify.join(', ')}; then ${s.onSuccess}, on failure ${s.onFailure}`,
        ...(s.undo ? [`      undo: ${s.undo}`] : []),
      ];
    case 'recheck':
      return [
        `  ${s.id}: ${s.title} (every diagnose step again, then ${rb.afterDiagnosis}; at most ${s.maxVisits}×)`,
      ];
    case 'outcome':
      return [
        `  ${s.id}: ${s.outcome}: ${s.summary}${s.handover ? ` (→ ${s.handover})` : ''}`,
        ...(s.restsOn
          ? [
              `      rests on: ${s.restsOn.join(', ')}${s.ifRepaired ? `; after a repair → ${s.ifRepaired}` : ''}`,
            ]
          : []),
      ];
  }
}

const SECTIONS: [string, Step['kind'][]][] = [
  ['Diagnosis (read-only, runs by itself)', ['diagnose']],
  ['Decisions', ['decide']],
  ['Approvals', ['approval']],
  ['Repairs (each only after its approval)', ['repair']],
  ['Verification', ['verify']],
  ['Outcomes', ['outcome']],
];

/** A plain-text listing of a runbook: its steps, branches, repairs with their commands, and outcomes. */
export function describeRunbook(rb: Runbook): string {
  const out = [`${rb.id}: ${rb.title}`, `  ${rb.summary}`, `  targets: ${rb.targetKinds.join(', ')}`];
  for (const [title, kinds] of SECTIONS) {
    const steps = rb.steps.filter((s) => kinds.includes(s.kind));
    if (steps.length) out.push('', ` ${title}`, ...steps.flatMap((s) => line(s, rb)));
  }
  return out.join('\n');
}
