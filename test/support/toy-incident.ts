import type { IncidentMeta } from '../../src/incidents/meta.js';
import type { Orchestrator } from '../../src/incidents/orchestrator.js';
import type { RunStore } from '../../src/incidents/ports.js';
import type { ExecuteCommand } from '../../src/runbooks/index.js';
import { advance, start } from '../../src/runbooks/index.js';
import { result, toyRunbook, toyTarget } from './toy-runbook.js';

// The toy incident at the two points the approval tests start from: waiting for its approval (through
// an orchestrator), and with its repair approved and issued (through the engine alone). Step `b`
// finds the fault; every other step reads fine.

const answer = (stepId: string) => [result(stepId === 'b' ? 'bad' : 'fine')];

/** Starts the toy incident and answers its steps until it waits for the approval. */
export async function toyToApproval(
  o: Pick<Orchestrator, 'start' | 'apply'>,
  store: Pick<RunStore, 'load'>,
  meta?: IncidentMeta,
): Promise<{ id: string; approvalId: string; expiresAt: number }> {
  const started = await o.start({
    runbookId: 'toy',
    targetName: 'cache',
    startedBy: 'U_ON',
    ...(meta ? { meta } : {}),
  });
  if (!started.ok) throw new Error('not started');
  for (let i = 0; i < 10; i++) {
    const running = Object.values((await store.load(started.id))?.state.steps ?? {}).filter(
      (r) => r.status === 'running',
    );
    if (running.length === 0) break;
    for (const r of running)
      await o.apply(started.id, {
        type: 'step-result',
        stepKey: r.key,
        attempt: 1,
        results: answer(r.stepId),
      });
  }
  const a = Object.values((await store.load(started.id))?.state.approvals ?? {})[0];
  if (!a) throw new Error('no approval');
  return { id: started.id, approvalId: a.id, expiresAt: a.expiresAt };
}

/** The toy incident INC-0001 with its repair approved by U_A and issued: the state and the command. */
export function toyApprovedRepair() {
  const rb = toyRunbook();
  const look = () => rb;
  let t = start(rb, { runId: 'INC-0001', target: toyTarget, startedBy: 'U_ON', approvalTtlMs: 60_000 }, 0);
  for (const key of ['a', 'b', 'c', 'd@api', 'd@worker'])
    t = advance(t.state, { type: 'step-result', stepKey: key, attempt: 1, results: answer(key) }, 1, look);
  const approval = Object.values(t.state.approvals)[0];
  if (!approval) throw new Error('no approval');
  t = advance(
    t.state,
    { type: 'approval-decision', approvalId: approval.id, decision: 'approve', by: 'U_A' },
    2,
    look,
  );
  const cmd = t.commands.find((c): c is ExecuteCommand => c.type === 'execute' && c.kind === 'repair');
  if (!cmd) throw new Error('no repair issued');
  return { state: t.state, cmd };
}
