import { afterEach, describe, expect, it } from 'vitest';
import type { IncidentRecord, Notifier, RunStore } from '../../src/incidents/ports.js';
import type { EngineCommand, ExecuteCommand, Transition } from '../../src/runbooks/index.js';
import { advance, start } from '../../src/runbooks/index.js';
import { MemoryStore } from './memory-store.js';
import { result, toyRunbook, toyTarget } from './toy-runbook.js';

// The Notifier contract, one suite every notifier passes: what people are shown of an incident, in
// the vocabulary of `shown()`: 'root', 'findings:<step>', 'card:<approval>', 'handover', 'report'.

export interface NotifierUnderTest {
  notifier: Notifier;
  /** What the people side shows now, in the order it was first shown. */
  shown(): Promise<string[]>;
  close(): Promise<void>;
}

type Command = Exclude<EngineCommand, ExecuteCommand>;
const rb = toyRunbook();
const look = () => rb;

/** The toy incident from start to a rejected repair: each write stored, then its commands handed on. */
async function incidentCommands(store: RunStore, channel: string | undefined) {
  const steps: { rec: () => Promise<IncidentRecord>; commands: Command[] }[] = [];
  let t: Transition = start(
    rb,
    { runId: 'INC-0001', target: toyTarget, startedBy: 'U_ON', approvalTtlMs: 60_000 },
    0,
  );
  await store.create(
    { id: 'INC-0001', targetName: 'cache', state: t.state, meta: channel ? { channel } : {} },
    [],
  );
  let version = 1;
  const keep = async (next: Transition) => {
    await store.save('INC-0001', version, next.state, []);
    version += 1;
    t = next;
    const people = next.commands.filter((c): c is Command => c.type !== 'execute');
    steps.push({ rec: async () => (await store.load('INC-0001')) as IncidentRecord, commands: people });
  };
  steps.push({
    rec: async () => (await store.load('INC-0001')) as IncidentRecord,
    commands: t.commands.filter((c): c is Command => c.type !== 'execute'),
  });
  for (const key of ['a', 'b', 'c', 'd@api', 'd@worker'])
    await keep(
      advance(
        t.state,
        { type: 'step-result', stepKey: key, attempt: 1, results: [result(key === 'b' ? 'bad' : 'fine')] },
        1,
        look,
      ),
    );
  const approval = Object.values(t.state.approvals)[0];
  if (!approval) throw new Error('the toy run asked for no approval');
  await keep(
    advance(
      t.state,
      { type: 'approval-decision', approvalId: approval.id, decision: 'reject', by: 'U_A' },
      2,
      look,
    ),
  );
  return { steps, approvalId: approval.id };
}

export function runNotifierContract(
  name: string,
  make: (store: RunStore) => Promise<NotifierUnderTest>,
): void {
  describe(`Notifier contract: ${name}`, () => {
    let open: NotifierUnderTest | undefined;
    afterEach(async () => {
      await open?.close();
      open = undefined;
    });
    const drive = async (channel: string | undefined, times: number) => {
      const store = new MemoryStore();
      open = await make(store);
      const { steps, approvalId } = await incidentCommands(store, channel);
      for (const step of steps)
        for (const c of step.commands)
          for (let i = 0; i < times; i++) await open.notifier.handle(await step.rec(), c);
      return { shown: await open.shown(), approvalId };
    };

    it('shows the incident: its root first, then the diagnosis summary, the card, and the report', async () => {
      const { shown, approvalId } = await drive('C_INCIDENTS', 1);
      expect(shown[0]).toBe('root');
      // Per check or as one summary of the look, as each notifier shows it: before the card.
      const found = shown.findIndex((k) => k.startsWith('findings:'));
      expect(found).toBeGreaterThan(0);
      expect(shown).toContain(`card:${approvalId}`);
      expect(shown.at(-1)).toBe('report');
      expect(shown.indexOf(`card:${approvalId}`)).toBeGreaterThan(found);
    });

    it('every command handled twice shows each thing once', async () => {
      const once = (await drive('C_INCIDENTS', 1)).shown;
      await open?.close();
      const twice = (await drive('C_INCIDENTS', 2)).shown;
      expect(twice).toEqual(once);
    });

    it('an incident with no channel is handled without error and shows nothing', async () => {
      expect((await drive(undefined, 1)).shown).toEqual([]);
    });
  });
}
