import type { EngineCommand, EngineEvent, Ignored, RunbookCatalogue, RunState } from '../runbooks/index.js';
import { advance, RunbookBotError } from '../runbooks/index.js';
import type { Settled } from './key-batcher.js';
import type { IncidentMetrics } from './metrics-port.js';
import { observeTransition } from './metrics-port.js';
import type { IncidentRecord, OutboxEntry, RunStore } from './ports.js';

export type Applied = { state: RunState; ignored?: Ignored } | null;

export interface ApplyDeps {
  store: RunStore;
  catalogue: RunbookCatalogue;
  now: () => number;
  redact: (text: string, opts?: { cut?: boolean }) => string;
  metrics?: IncidentMetrics;
  /**
   * Carries out the outbox after a write (or after none, for commands an earlier one left); a write
   * hands over the record it wrote and the outbox the save returned.
   */
  dispatch: (id: string, written?: { record: IncidentRecord; outbox: OutboxEntry[] }) => Promise<void>;
}

const MAX_CAS_TRIES = 25;

/**
 * Applies events to one incident in order, under compare-and-set: one load, one write of the state
 * with every command the transitions produced, one dispatch. Each event gets the state as it left it.
 */
export async function applyEvents(
  d: ApplyDeps,
  id: string,
  events: EngineEvent[],
): Promise<Settled<Applied>[]> {
  try {
    return (await applyTogether(d, id, events)).map((value) => ({ ok: true, value }));
  } catch (error) {
    if (events.length === 1) return [{ ok: false, error }];
    // One event the engine cannot take must not fail the others with it: one at a time, then.
    const out: Settled<Applied>[] = [];
    for (const e of events) {
      try {
        out.push({ ok: true, value: (await applyTogether(d, id, [e]))[0] ?? null });
      } catch (err) {
        out.push({ ok: false, error: err });
      }
    }
    return out;
  }
}

async function applyTogether(d: ApplyDeps, id: string, events: EngineEvent[]): Promise<Applied[]> {
  for (let i = 0; i < MAX_CAS_TRIES; i++) {
    const rec = await d.store.load(id);
    if (!rec) return events.map(() => null);
    let state = rec.state;
    const commands: EngineCommand[] = [];
    const steps: [RunState, RunState][] = [];
    const out = events.map((event): NonNullable<Applied> => {
      const t = advance(state, event, d.now(), d.catalogue.get, d.redact);
      if (t.state !== state) steps.push([state, t.state]);
      commands.push(...t.commands);
      state = t.state;
      return t.ignored ? { state, ignored: t.ignored } : { state };
    });
    if (state === rec.state) {
      // Nothing changed, but an earlier transition's commands may still be waiting.
      await d.dispatch(id);
      return out;
    }
    const outbox = await d.store.save(id, rec.version, state, commands);
    if (outbox) {
      // Only a write that landed is counted, so a lost compare-and-set never counts twice.
      for (const [from, to] of steps) d.metrics?.record(observeTransition(from, to));
      await d.dispatch(id, { record: { ...rec, state, version: rec.version + 1 }, outbox });
      return out;
    }
  }
  throw new RunbookBotError('STORE_CONFLICT', `incident ${id}: ${MAX_CAS_TRIES} conflicting writes in a row`);
}
