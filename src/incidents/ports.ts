import type { IncidentMeta } from './meta.js';
import type { OutboxEntry, StepJob } from './payloads.js';
import type { IncidentListing } from './summary.js';

export type { OutboxEntry, StepJob } from './payloads.js';

import type { EngineCommand, EngineEvent, ExecuteCommand, RunState, TargetView } from '../runbooks/index.js';

/** Where an incident stands: the engine's state plus what the edges attach to it (Slack ts, parent). */
export interface IncidentRecord {
  id: string;
  targetName: string;
  state: RunState;
  meta: IncidentMeta;
  /** Bumped on every write; a save names the version it read. */
  version: number;
}

/** Incident ids as RunStore.nextId makes them: INC-0001 … (no ':' and never all digits, for BullMQ). */
export const INCIDENT_ID = /^INC-\d{4,9}$/;

export interface RunStore {
  nextId(): Promise<string>;
  /** Writes a new incident at version 1 with its commands queued; returns its outbox (those commands). */
  create(record: Omit<IncidentRecord, 'version'>, commands: readonly EngineCommand[]): Promise<OutboxEntry[]>;
  /** The record, or null for an unknown id. What it returns is shared: never change it in place. */
  load(id: string): Promise<IncidentRecord | null>;
  /**
   * Compare-and-set: writes the state and queues its commands only if the version is still `expected`.
   * Returns the outbox as it stands after the write (commands earlier writes left, then these), or
   * null when the version had moved on and nothing was written.
   */
  save(
    id: string,
    expected: number,
    state: RunState,
    commands: readonly EngineCommand[],
  ): Promise<OutboxEntry[] | null>;
  setMeta(id: string, patch: IncidentMeta): Promise<void>;
  outbox(id: string): Promise<OutboxEntry[]>;
  ack(id: string, entries: readonly OutboxEntry[]): Promise<void>;
  /** Ids with commands not yet carried out (after a crash between a save and its dispatch). */
  pendingOutboxes(): Promise<string[]>;
  /** True the first time a key is claimed: makes one-shot side effects idempotent. */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  /** Gives a claim back, so the side effect it guarded may be tried again. */
  release(key: string): Promise<void>;
  /** The newest incidents first, as listed: their summaries, not their whole states. */
  recent(limit: number): Promise<IncidentListing[]>;
}

export interface Dispatcher {
  enqueueStep(job: StepJob, delayMs?: number): Promise<void>;
  enqueueEvent(runId: string, event: EngineEvent, opts: { jobId: string; delayMs?: number }): Promise<void>;
}

/** The people side: posts and updates what the run says. Must tolerate the same command twice. */
export interface Notifier {
  handle(record: IncidentRecord, command: Exclude<EngineCommand, ExecuteCommand>): Promise<void>;
}

/** Where finished incidents' reports are kept (a folder of Markdown files in production). */
export interface ReportStore {
  /** Stores the report, replacing any earlier one of the incident; returns where it now is. */
  save(id: string, markdown: string): Promise<string>;
  load(id: string): Promise<string | undefined>;
}

/** Who a user id is, as people know them: for reports, which otherwise show bare ids. */
export interface PeopleDirectory {
  /** Undefined when the id is nobody the directory knows; rejects when it could not be asked. */
  nameOf(userId: string): Promise<string | undefined>;
}

export interface TargetDirectory {
  view(name: string): TargetView | undefined;
  names(): string[];
}

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What the ledger says of a firing alert, atomically (see AlertLedger.open). */
export type LedgerOpen =
  /** This caller opens the incident, under its token: start it, then bind(). */
  | { kind: 'claimed' }
  /** The alert (its fingerprint) already belongs to this incident. */
  | { kind: 'known'; incidentId: string }
  /** Another alert opened an incident for the same runbook and target: this one joins it (link()). */
  | { kind: 'joined'; incidentId: string }
  /** Another delivery is opening the incident right now (for this fingerprint, or for the pair). */
  | { kind: 'busy'; by: 'fingerprint' | 'pair' }
  /** The target has started `perHour` incidents from alerts in the last hour. */
  | { kind: 'rate-limited'; startedLastHour: number };

/** One alert's place in the ledger: its fingerprint and where it routes. */
export interface LedgerKey {
  fingerprint: string;
  runbookId: string;
  targetName: string;
}

/**
 * Which incident each alert belongs to, shared by every bot process: one incident per alert
 * fingerprint, one open incident per (runbook, target), and an hourly limit of alert-started
 * incidents per target. Every method is atomic on its own.
 */
export interface AlertLedger {
  /** The fingerprint's incident, else the pair's, else, within the limit, a claim of both under `token`. */
  open(req: LedgerKey & { token: string; now: number; perHour: number }): Promise<LedgerOpen>;
  /** After a claim: the fingerprint and the pair name the incident. False if the claim was lost. */
  bind(req: LedgerKey & { token: string; incidentId: string }): Promise<boolean>;
  /** Gives a claim back (the incident could not be started): the pair and the hour's count too. */
  unclaim(req: LedgerKey & { token: string }): Promise<void>;
  /** Names the incident for a fingerprint that names none yet; true the first time. */
  link(fingerprint: string, incidentId: string): Promise<boolean>;
  /** The incident a fingerprint belongs to, or that it is being opened right now. */
  incidentOf(
    fingerprint: string,
  ): Promise<{ kind: 'none' } | { kind: 'busy' } | { kind: 'incident'; id: string }>;
  /**
   * Names an incident the ledger did not open: one a person started (`pairs`), or the one a handover
   * opened, which takes over every key (`moveFrom`) that named the incident it continues. A key
   * another delivery is opening right now is left alone.
   */
  adopt(req: {
    incidentId: string;
    pairs: readonly { runbookId: string; targetName: string }[];
    moveFrom?: {
      incidentId: string;
      fingerprints: readonly string[];
      pairs: readonly { runbookId: string; targetName: string }[];
    };
  }): Promise<void>;
  /** Forgets that the fingerprint, or the pair, names this incident (if it still does): it has ended. */
  forget(
    key: { fingerprint: string } | { runbookId: string; targetName: string },
    incidentId: string,
  ): Promise<void>;
}
