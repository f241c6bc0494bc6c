import type { AlertLedger, LedgerKey, LedgerOpen } from '../../src/incidents/ports.js';

const HOUR_MS = 3_600_000;
const PENDING = 'pending:';
const pairOf = (k: { runbookId: string; targetName: string }) => `${k.runbookId}\u0000${k.targetName}`;

/** The AlertLedger contract in memory (no TTLs), for unit tests: every method runs without a pause. */
export class MemoryAlertLedger implements AlertLedger {
  readonly fingerprints = new Map<string, string>();
  readonly pairs = new Map<string, string>();
  readonly starts = new Map<string, { token: string; at: number }[]>();

  async open(req: LedgerKey & { token: string; now: number; perHour: number }): Promise<LedgerOpen> {
    const f = this.fingerprints.get(req.fingerprint);
    if (f !== undefined)
      return f.startsWith(PENDING) ? { kind: 'busy', by: 'fingerprint' } : { kind: 'known', incidentId: f };
    const p = this.pairs.get(pairOf(req));
    if (p !== undefined)
      return p.startsWith(PENDING) ? { kind: 'busy', by: 'pair' } : { kind: 'joined', incidentId: p };
    const recent = (this.starts.get(req.targetName) ?? []).filter((s) => s.at > req.now - HOUR_MS);
    this.starts.set(req.targetName, recent);
    if (recent.length >= req.perHour) return { kind: 'rate-limited', startedLastHour: recent.length };
    this.fingerprints.set(req.fingerprint, PENDING + req.token);
    this.pairs.set(pairOf(req), PENDING + req.token);
    recent.push({ token: req.token, at: req.now });
    return { kind: 'claimed' };
  }

  async bind(req: LedgerKey & { token: string; incidentId: string }): Promise<boolean> {
    const held = PENDING + req.token;
    const f = this.fingerprints.get(req.fingerprint);
    const ok = f === held || f === undefined;
    if (ok) this.fingerprints.set(req.fingerprint, req.incidentId);
    const p = this.pairs.get(pairOf(req));
    if (p === held || p === undefined) this.pairs.set(pairOf(req), req.incidentId);
    return ok;
  }

  async unclaim(req: LedgerKey & { token: string }): Promise<void> {
    const held = PENDING + req.token;
    if (this.fingerprints.get(req.fingerprint) === held) this.fingerprints.delete(req.fingerprint);
    if (this.pairs.get(pairOf(req)) === held) this.pairs.delete(pairOf(req));
    const starts = this.starts.get(req.targetName) ?? [];
    this.starts.set(
      req.targetName,
      starts.filter((s) => s.token !== req.token),
    );
  }

  async link(fingerprint: string, incidentId: string): Promise<boolean> {
    if (this.fingerprints.has(fingerprint)) return false;
    this.fingerprints.set(fingerprint, incidentId);
    return true;
  }

  async incidentOf(fingerprint: string) {
    const f = this.fingerprints.get(fingerprint);
    if (f === undefined) return { kind: 'none' as const };
    return f.startsWith(PENDING) ? { kind: 'busy' as const } : { kind: 'incident' as const, id: f };
  }

  async adopt(req: Parameters<AlertLedger['adopt']>[0]): Promise<void> {
    for (const pair of req.pairs) {
      if (!this.pairs.get(pairOf(pair))?.startsWith(PENDING)) this.pairs.set(pairOf(pair), req.incidentId);
    }
    const from = req.moveFrom;
    if (!from) return;
    for (const fp of from.fingerprints)
      if (this.fingerprints.get(fp) === from.incidentId) this.fingerprints.set(fp, req.incidentId);
    for (const pair of from.pairs)
      if (this.pairs.get(pairOf(pair)) === from.incidentId) this.pairs.set(pairOf(pair), req.incidentId);
  }

  async forget(key: { fingerprint: string } | { runbookId: string; targetName: string }, incidentId: string) {
    if ('fingerprint' in key) {
      if (this.fingerprints.get(key.fingerprint) === incidentId) this.fingerprints.delete(key.fingerprint);
    } else if (this.pairs.get(pairOf(key)) === incidentId) this.pairs.delete(pairOf(key));
  }
}
