import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { approvalCard } from '../../src/bot/approval-card.js';
import { rootMessage } from '../../src/bot/incident-blocks.js';
import { diagnosisSummary, repairResult } from '../../src/bot/thread-blocks.js';
import type { ExecResult, RunState, TargetView } from '../../src/runbooks/index.js';
import { execResultSchema, targetViewSchema } from '../../src/runbooks/index.js';
import { builtinRunbook } from '../../src/runbooks/library/index.js';
import { followUpReason, repairRuns } from '../../src/runbooks/repair-story.js';
import { engineDriver } from '../support/engine-driver.js';
import { res } from '../support/toy-runbook.js';

// A follow-up repair is gated on a check run after the fix: the wrong-network story, recorded on the
// lab (test/fixtures/rehearsals), with a second client. Restarting clients is proposed only for a
// client that still cannot reach Redis after the network connect, and never when all of them can.
const raw = JSON.parse(
  readFileSync(
    join(import.meta.dirname, '../fixtures/rehearsals/wrong-network.redis-connectivity.json'),
    'utf8',
  ),
);
const base = targetViewSchema.parse(raw.target);
const target: TargetView = {
  ...base,
  clients: [...base.clients, { name: 'worker', container: `${base.redis.container}-worker` }],
};
const results: Record<string, ExecResult> = Object.fromEntries(
  Object.entries(raw.results).map(([k, v]) => [k, execResultSchema.parse(v)]),
);
for (const step of ['client-ping', 'client-network'])
  results[`${step}@worker`] = {
    ...(results[`${step}@app`] as ExecResult),
    stdout: (results[`${step}@app`] as ExecResult).stdout.replaceAll('app', 'worker'),
  };
const rb = builtinRunbook('redis-connectivity');
if (!rb) throw new Error('redis-connectivity');
const unresolvable = res('', {
  exitCode: 1,
  stderr: `Could not connect to Redis at ${base.redis.host}:6379: Name or service not known\n`,
});

/** After the connect, `stillFailing` clients cannot reach Redis; the others get PONG. */
function afterConnect(stillFailing: readonly string[]) {
  const d = engineDriver(rb as NonNullable<typeof rb>, {
    target,
    runId: 'INC-0007',
    answer: (id, round, key) => {
      const client = key.split('@')[1] ?? '';
      if (id === 'verify-client-ping') return stillFailing.includes(client) ? unresolvable : res('PONG\n');
      if (round > 1 && id === 'client-ping')
        return stillFailing.includes(client) ? unresolvable : res('PONG\n');
      return results[key];
    },
  });
  d.run();
  return d;
}

const cardText = (s: RunState, id: string) => {
  const a = s.approvals[id];
  if (!a) throw new Error(id);
  return JSON.stringify(approvalCard('INC-0007', s, rb, a).blocks);
};

describe('a follow-up repair only when the check after the fix shows it is needed', () => {
  it('every client reaches Redis after the connect: resolved, one card, no restart', () => {
    const d = afterConnect([]);
    const first = Object.values(d.state.approvals)[0];
    expect(first?.gateId).toBe('approve-connect');
    // The undo names the network and the container it acts on.
    expect(first?.undo).toBe(
      first?.actions
        .map(
          (a) =>
            `docker network disconnect ${a.kind === 'network-connect' ? a.network : '?'} ${base.redis.container}`,
        )
        .join('; '),
    );
    expect(first?.undo).not.toMatch(/</);
    d.approve();
    expect(d.state.status).toBe('resolved');
    expect(Object.values(d.state.approvals).map((a) => a.gateId)).toEqual(['approve-connect']);
    expect(followUpReason(d.state, first as NonNullable<typeof first>)).toBeUndefined();
  });

  it('one client still cannot reach Redis: only it is restarted, and the card says why and what Reject does', () => {
    const d = afterConnect(['worker']);
    d.approve();
    const follow = Object.values(d.state.approvals).find((a) => a.gateId === 'approve-restart-clients');
    expect(follow?.status).toBe('pending');
    expect(follow?.commands).toEqual([`docker restart ${base.redis.container}-worker`]);
    const why = followUpReason(d.state, follow as NonNullable<typeof follow>);
    expect(why?.after).toBe("Connect Redis to its clients' network");
    expect(why?.because.map((b) => b.statement)).toEqual([
      expect.stringMatching(/^worker: PING → .*Name or service not known/),
    ]);
    const card = cardText(d.state, follow?.id ?? '');
    expect(card).toContain('Why this is proposed');
    expect(card).toContain('worker: PING');
    expect(card).toContain('If you reject:');
    expect(card).toContain('the clients were not restarted');
    const root = JSON.stringify(rootMessage({ id: 'INC-0007', state: d.state, runbook: rb }).blocks);
    expect(root).toContain('Waiting for approval');

    d.feed({ type: 'approval-decision', approvalId: follow?.id ?? '', decision: 'reject', by: 'U_BOB' });
    expect(d.state.status).toBe('rejected');
    expect(d.state.outcome?.summary).toMatch(/network connect ran .* the clients were not restarted/);
    // The first card now tells what happened after its approval, not what is about to.
    const first = cardText(d.state, Object.keys(d.state.approvals)[0] ?? '');
    expect(first).toMatch(/The repair ran at .*: ok, but its verification did not pass/);
    expect(first).not.toContain('runs now');
  });

  it('the thread: one summary per look, the repair with its checklist', () => {
    const d = afterConnect([]);
    d.approve();
    const first = diagnosisSummary('INC-0007', d.state, 1);
    const text = JSON.stringify(first.blocks);
    expect(text).toMatch(/2 problems found|problems found/);
    expect(text).toMatch(/Healthy \(\d+\)/);
    expect(first.file?.content).toContain('Name or service not known');
    const again = JSON.stringify(diagnosisSummary('INC-0007', d.state, 2).blocks);
    expect(again).toContain('Look again after the repair');
    expect(again).toContain('no problem found');
    const [repair] = repairRuns(d.state);
    const m = JSON.stringify(repairResult('INC-0007', d.state, repair as NonNullable<typeof repair>).blocks);
    expect(m).toContain('Repair ran:');
    expect(m).toContain('Verification passed');
    expect(m).toContain('app: PING → PONG');
    expect(m).toContain('worker: PING → PONG');
    const root = JSON.stringify(rootMessage({ id: 'INC-0007', state: d.state, runbook: rb }).blocks);
    expect(root).toContain('INC-0007: Redis is not on the Docker network its clients use');
    expect(root).toMatch(/Ended:.*after \d+ s/);
  });
});
