import { describe, expect, it } from 'vitest';
import { type EdgeDeps, runCommand } from '../../src/bot/command-handlers.js';
import type { ReportDelivery } from '../../src/bot/report-delivery.js';
import type { IncidentRecord } from '../../src/incidents/ports.js';
import { listingOf } from '../../src/incidents/summary.js';
import { start } from '../../src/runbooks/index.js';
import { toyRunbook, toyTarget } from '../support/toy-runbook.js';

// `/incident status|list|report|cancel` answer for the channel they are asked in, and a failure is
// answered with what happened.
const record = (id: string, channel: string): IncidentRecord => ({
  id,
  targetName: 'cache',
  version: 1,
  meta: { channel, rootTs: '1.000100' },
  state: start(toyRunbook(), { runId: id, target: toyTarget, startedBy: 'U_ON', approvalTtlMs: 60_000 }, 1000)
    .state,
});

const A = record('INC-0001', 'C_A');
const B = record('INC-0002', 'C_B');
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function deps(o: Partial<EdgeDeps> & { deliver?: ReportDelivery['deliver'] } = {}) {
  const delivered: { id: string; channel: string; threadTs?: string }[] = [];
  const d: EdgeDeps = {
    orchestrator: {
      start: async () => ({ ok: true, id: 'INC-0003' }),
      decide: async () => {
        throw new Error('not here');
      },
      cancel: async () => null,
      load: async (id) => [A, B].find((r) => r.id === id) ?? null,
    },
    store: { recent: async () => [B, A].map(listingOf) },
    reports: {
      deliver:
        o.deliver ??
        (async (rec: IncidentRecord, channel: string, threadTs?: string) =>
          void delivered.push({ id: rec.id, channel, ...(threadTs ? { threadTs } : {}) })),
    } as ReportDelivery,
    refresh: async () => undefined,
    approvers: ['U_BOB'],
    ping: async () => true,
    log: silent,
    ...o,
  };
  return { d, delivered };
}

const inA = { userId: 'U_CAROL', channelId: 'C_A' };

describe('channel scoping', () => {
  it('status and list show only the incidents of the channel asked in', async () => {
    const { d } = deps();
    const list = await runCommand({ kind: 'list' }, inA, d);
    expect(list).toContain('INC-0001');
    expect(list).not.toContain('INC-0002');
    const status = await runCommand({ kind: 'status' }, inA, d);
    expect(status).toContain('INC-0001');
    expect(status).not.toContain('INC-0002');
    expect(await runCommand({ kind: 'status', incidentId: 'INC-0002' }, inA, d)).toMatch(
      /INC-0002 belongs to another channel \(<#C_B>\): ask there/,
    );
  });

  it('report and cancel of another channel’s incident are refused and post nothing', async () => {
    const { d, delivered } = deps();
    expect(await runCommand({ kind: 'report', incidentId: 'INC-0002' }, inA, d)).toMatch(/another channel/);
    expect(await runCommand({ kind: 'cancel', incidentId: 'INC-0002' }, inA, d)).toMatch(/another channel/);
    expect(delivered).toEqual([]);
    await runCommand({ kind: 'report', incidentId: 'INC-0001' }, inA, d);
    expect(delivered).toEqual([{ id: 'INC-0001', channel: 'C_A', threadTs: '1.000100' }]);
  });

  it('with APPROVER_CROSS_CHANNEL, an approver sees every channel and others still do not', async () => {
    const { d } = deps({ crossChannel: true });
    expect(await runCommand({ kind: 'list' }, { userId: 'U_BOB', channelId: 'C_A' }, d)).toContain(
      'INC-0002',
    );
    expect(await runCommand({ kind: 'list' }, inA, d)).not.toContain('INC-0002');
  });
});

describe('honest replies', () => {
  const slackError = (error: string) =>
    Object.assign(new Error(`An API error occurred: ${error}`), {
      code: 'slack_webapi_platform_error',
      data: { ok: false, error },
    });

  it('a report whose thread is gone is posted in the channel, and the reply says so', async () => {
    const calls: (string | undefined)[] = [];
    const { d } = deps({
      deliver: async (_r, _c, threadTs) => {
        calls.push(threadTs);
        if (threadTs) throw slackError('thread_not_found');
      },
    });
    const reply = await runCommand({ kind: 'report', incidentId: 'INC-0001' }, inA, d);
    expect(reply).toMatch(/thread of INC-0001 is gone.*posted in the channel instead/);
    expect(reply).not.toMatch(/Redis/);
    expect(calls).toEqual(['1.000100', undefined]);
  });

  it('other failures name what happened: Slack’s reason, Redis, or the error itself', async () => {
    const failing = (e: Error) => deps({ deliver: async () => Promise.reject(e) }).d;
    const ask = (e: Error) => runCommand({ kind: 'report', incidentId: 'INC-0001' }, inA, failing(e));
    expect(await ask(slackError('channel_not_found'))).toMatch(/channel is gone.*channel_not_found/);
    // Redis is named when it does not answer a ping made after the failure.
    let pings = 0;
    const redisGone = deps({
      deliver: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
      ping: async () => ++pings === 1,
    }).d;
    expect(await runCommand({ kind: 'report', incidentId: 'INC-0001' }, inA, redisGone)).toMatch(
      /cannot reach its Redis/,
    );
    expect(pings).toBe(2);
    const rename = new Error("ENOENT: no such file or directory, rename '/r/INC-0001.md.tmp'");
    const other = await ask(rename);
    expect(other).toMatch(/The report failed: ENOENT/);
    expect(other).not.toMatch(/Redis/);
  });
});
