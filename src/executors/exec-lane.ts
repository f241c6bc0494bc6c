import { type Deadline, stoppedParts } from './deadline.js';
import type { ResultParts } from './output.js';

// When execs into one container are set up one at a time, checks that arrive while an exec is
// being set up wait for it and then go together in one exec, instead of queueing in the engine
// one set-up each. Nothing waits for a command to finish: once an exec has started, the next one
// may start, so a command that hangs never holds the others back.

export interface LaneMember {
  /** Members go together only when they run as the same user with the same environment. */
  key: string;
  deadline: Deadline;
}

export interface Waiting<M extends LaneMember> {
  member: M;
  resolve(parts: ResultParts): void;
  reject(error: unknown): void;
  /** Set on a member handed back by a batch: it runs in an exec of its own. */
  alone?: boolean;
}

export interface LaneIO<M extends LaneMember> {
  /** Runs one member in an exec of its own; calls `started` once the exec has started (or failed to). */
  solo(member: M, started: () => void): Promise<ResultParts>;
  /**
   * Runs several members in one exec, settling each; calls `started` likewise. A member the batch
   * could not finish (its exec ended early, or a command before it hangs) goes to `handBack`.
   */
  batch(group: Waiting<M>[], started: () => void, handBack: (w: Waiting<M>) => void): Promise<void>;
}

/** No exec gets more commands than this; the rest wait for the next one. */
const MAX_BATCH = 16;

interface Lane<M extends LaneMember> {
  settingUp: number;
  pending: Waiting<M>[];
}

export class ExecLanes<M extends LaneMember> {
  private readonly lanes = new Map<string, Lane<M>>();

  constructor(private readonly io: LaneIO<M>) {}

  run(lane: string, member: M): Promise<ResultParts> {
    return new Promise((resolve, reject) => this.enqueue(lane, { member, resolve, reject }));
  }

  private enqueue(name: string, waiting: Waiting<M>): void {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = { settingUp: 0, pending: [] };
      this.lanes.set(name, lane);
    }
    lane.pending.push(waiting);
    this.drain(name, lane);
  }

  private drain(name: string, lane: Lane<M>): void {
    if (lane.settingUp > 0) return;
    // A member whose time ran out while it waited never ran: it is stopped, not started late.
    for (const w of lane.pending) {
      const why = w.member.deadline.reason;
      if (why) w.resolve(stoppedParts(why, w.member.deadline.timeoutMs));
    }
    lane.pending = lane.pending.filter((w) => !w.member.deadline.reason);
    const first = lane.pending[0];
    if (!first) {
      this.lanes.delete(name);
      return;
    }
    const group = first.alone
      ? [first]
      : lane.pending.filter((w) => !w.alone && w.member.key === first.member.key).slice(0, MAX_BATCH);
    lane.pending = lane.pending.filter((w) => !group.includes(w));
    lane.settingUp++;
    let once = false;
    const started = () => {
      if (once) return;
      once = true;
      lane.settingUp--;
      this.drain(name, lane);
    };
    const work =
      group.length === 1
        ? this.io.solo(first.member, started).then(first.resolve, first.reject)
        : this.io.batch(group, started, (w) => this.enqueue(name, { ...w, alone: true }));
    void work
      .catch((e: unknown) => {
        for (const w of group) w.reject(e);
      })
      .finally(started);
  }
}
