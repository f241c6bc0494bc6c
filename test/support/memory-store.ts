import type { IncidentRecord, OutboxEntry, RunStore } from '../../src/incidents/ports.js';
import { type IncidentListing, summaryOf } from '../../src/incidents/summary.js';
import type { EngineCommand, RunState } from '../../src/runbooks/index.js';

/** The RunStore contract in memory, for unit tests of what sits on top of it. */
export class MemoryStore implements RunStore {
  readonly records = new Map<string, IncidentRecord>();
  readonly outboxes = new Map<string, OutboxEntry[]>();
  readonly claims = new Set<string>();
  private seq = 0;

  async nextId() {
    this.seq += 1;
    return `INC-${String(this.seq).padStart(4, '0')}`;
  }
  private push(id: string, version: number, commands: readonly EngineCommand[]): OutboxEntry[] {
    const box = this.outboxes.get(id) ?? [];
    for (const [i, command] of commands.entries()) box.push({ seq: `${version}.${i}`, command });
    this.outboxes.set(id, box);
    return structuredClone(box);
  }
  async create(r: Omit<IncidentRecord, 'version'>, commands: readonly EngineCommand[]) {
    this.records.set(r.id, structuredClone({ ...r, version: 1 }));
    return this.push(r.id, 1, commands);
  }
  async load(id: string) {
    const r = this.records.get(id);
    return r ? structuredClone(r) : null;
  }
  async save(id: string, expected: number, state: RunState, commands: readonly EngineCommand[]) {
    const r = this.records.get(id);
    if (!r || r.version !== expected) return null;
    this.records.set(id, { ...r, state: structuredClone(state), version: expected + 1 });
    return this.push(id, expected + 1, commands);
  }
  async setMeta(id: string, patch: Record<string, string>) {
    const r = this.records.get(id);
    if (r) r.meta = { ...r.meta, ...patch };
  }
  async outbox(id: string) {
    return [...(this.outboxes.get(id) ?? [])];
  }
  async ack(id: string, entries: readonly OutboxEntry[]) {
    const gone = new Set(entries.map((e) => e.seq));
    this.outboxes.set(
      id,
      (this.outboxes.get(id) ?? []).filter((e) => !gone.has(e.seq)),
    );
  }
  async pendingOutboxes() {
    return [...this.outboxes].filter(([, box]) => box.length > 0).map(([id]) => id);
  }
  async claim(key: string) {
    if (this.claims.has(key)) return false;
    this.claims.add(key);
    return true;
  }
  async release(key: string) {
    this.claims.delete(key);
  }
  async recent(limit: number): Promise<IncidentListing[]> {
    return [...this.records.values()]
      .slice(-limit)
      .reverse()
      .map((r) => ({ id: r.id, targetName: r.targetName, meta: { ...r.meta }, summary: summaryOf(r.state) }));
  }
}
