import { mentionsIn, validateBlocks } from '@runbook-bot/local-slack';
import { describe, expect, it } from 'vitest';
import { approvalCard, cardState } from '../../src/bot/approval-card.js';
import { type EdgeDeps, runCommand } from '../../src/bot/command-handlers.js';
import { rootMessage } from '../../src/bot/incident-blocks.js';
import type { ReportDelivery } from '../../src/bot/report-delivery.js';
import type { IncidentRecord } from '../../src/incidents/ports.js';
import { listingOf } from '../../src/incidents/summary.js';
import { renderMarkdown } from '../../src/reports/markdown.js';
import {
  advance,
  buildReport,
  type EngineEvent,
  peopleIn,
  type RunState,
  start,
} from '../../src/runbooks/index.js';
import { MemoryStore } from '../support/memory-store.js';
import { slackNotifierOn } from '../support/slack-notifier-on.js';
import { result, toyRunbook, toyTarget } from '../support/toy-runbook.js';

// What people see of an incident an alert opened: the root message names the alert (escaped, its
// link a link), the card says when the alert has resolved, notes go in the thread once, and the
// status line and the report say "opened by alert".
const rb = toyRunbook();
const T0 = Date.UTC(2026, 11, 2, 3, 5, 0);
const FP = 'aa00000000000001';
const HOSTILE = 'Redis <!channel> is down <@U_BOSS> & <http://e.vil|click>';
const meta = {
  channel: 'C_ALERTS',
  alertName: 'RedisDown',
  alertSeverity: 'critical',
  alertSummary: HOSTILE,
  alertUrl: 'http://prometheus.lab:9090/graph?g0.expr=redis_up+%3D%3D+0&g0.tab=1',
};
const alertView = { name: 'RedisDown', severity: 'critical', summary: HOSTILE, url: meta.alertUrl };

function opened(): RunState {
  return start(
    rb,
    {
      runId: 'INC-0001',
      target: toyTarget,
      startedBy: 'alertmanager:RedisDown',
      approvalTtlMs: 600_000,
      alert: { fingerprint: FP, name: 'RedisDown', startsAt: T0 - 60_000, detectedAt: T0 },
    },
    T0,
  ).state;
}

function waiting(): RunState {
  let s = opened();
  for (const key of ['a', 'b', 'c', 'd@api', 'd@worker'])
    s = advance(
      s,
      { type: 'step-result', stepKey: key, attempt: 1, results: [result(key === 'b' ? 'bad' : 'fine')] },
      T0 + 2_000,
      () => rb,
    ).state;
  return s;
}

const resolvedEvent: EngineEvent = {
  type: 'alert',
  status: 'resolved',
  fingerprint: FP,
  name: 'RedisDown',
  at: T0 + 30_000,
  startsAt: T0 - 60_000,
  endsAt: T0 + 29_000,
};
const resolve = (s: RunState) => advance(s, resolvedEvent, T0 + 30_000, () => rb);
const textOf = (blocks: unknown) => JSON.stringify(blocks);

describe('the root message of an incident an alert opened', () => {
  it('says it was opened by the alert, with its severity, summary (escaped) and a link to its source', () => {
    const m = rootMessage({ id: 'INC-0001', state: opened(), runbook: rb, alert: alertView });
    expect(validateBlocks(m.blocks)).toEqual([]);
    const text = textOf(m.blocks);
    expect(text).toContain('*Opened by:* alert `RedisDown` at 2026-12-02 03:05:00 UTC');
    expect(text).toContain('*Alert:* `RedisDown` (severity critical)');
    expect(text).toContain(
      '*Summary:* Redis &lt;!channel&gt; is down &lt;@U_BOSS&gt; &amp; &lt;http://e.vil|click&gt;',
    );
    // The only thing Slack renders specially is the one link the bot means; nobody is pinged.
    const all = m.blocks
      .flatMap((b) => JSON.stringify(b).match(/"text":"((?:[^"\\]|\\.)*)"/g) ?? [])
      .join('\n');
    expect(mentionsIn(all)).toEqual([
      {
        kind: 'link',
        url: 'http://prometheus.lab:9090/graph?g0.expr=redis_up+%3D%3D+0&amp;g0.tab=1',
        raw: "<http://prometheus.lab:9090/graph?g0.expr=redis_up+%3D%3D+0&amp;g0.tab=1|the alert's expression in Prometheus>",
        label: "the alert's expression in Prometheus",
      },
    ]);
    expect(text).not.toContain('<@alertmanager');
  });

  it('says when the alert resolved', () => {
    const m = rootMessage({ id: 'INC-0001', state: resolve(waiting()).state, runbook: rb, alert: alertView });
    expect(textOf(m.blocks)).toContain('*Alert resolved:* `RedisDown` at 2026-12-02 03:05:29 UTC');
  });
});

describe('the approval card of an incident whose alert resolved', () => {
  it('says so while it waits, and may still be decided; the card is rewritten when it does', () => {
    const before = waiting();
    const after = resolve(before).state;
    const a = Object.values(after.approvals)[0];
    if (!a) throw new Error('no approval');
    const card = approvalCard('INC-0001', after, rb, a);
    expect(validateBlocks(card.blocks)).toEqual([]);
    expect(textOf(card.blocks)).toContain(
      '*The alert has resolved:* `RedisDown` at 2026-12-02 03:05:29 UTC. The fault may have cleared by itself: you may still approve or reject this repair.',
    );
    expect(textOf(card.blocks)).toContain('"text":"Approve"');
    expect(cardState(a, after)).not.toBe(cardState(a, before));
    expect(textOf(approvalCard('INC-0001', before, rb, a).blocks)).not.toContain('has resolved');
    const rejected = approvalCard('INC-0001', after, rb, {
      ...a,
      status: 'rejected',
      decidedBy: 'U_A',
      decidedAt: T0,
    });
    expect(textOf(rejected.blocks)).not.toContain('has resolved');
  });
});

describe('the Slack notifier', () => {
  it('posts a note in the thread once however often its command comes, and rewrites the waiting card', async () => {
    const store = new MemoryStore();
    const { slack, notifier } = await slackNotifierOn(store);
    try {
      const s = waiting();
      await store.create(
        { id: 'INC-0001', targetName: 'cache', state: s, meta: { ...meta, channel: 'C_INCIDENTS' } },
        [],
      );
      const a = Object.values(s.approvals)[0];
      if (!a) throw new Error('no approval');
      const first = (await store.load('INC-0001')) as IncidentRecord;
      await notifier.handle(first, { type: 'request-approval', runId: 'INC-0001', approval: a });
      const t = resolve(s);
      await store.save('INC-0001', 1, t.state, []);
      for (let i = 0; i < 2; i++)
        for (const c of t.commands)
          if (c.type !== 'execute')
            await notifier.handle((await store.load('INC-0001')) as IncidentRecord, c);
      const rec = (await store.load('INC-0001')) as IncidentRecord;
      const thread = slack.thread('C_INCIDENTS', rec.meta.rootTs ?? '');
      const notes = thread.filter((m) => m.text.includes('resolved at'));
      expect(notes).toHaveLength(1);
      expect(notes[0]?.text).toMatch(
        /^Alert RedisDown resolved at 2026-12-02 03:05:29 UTC\. The repair "fix it" still waits/,
      );
      const card = thread.find((m) => m.ts === rec.meta[`card.${a.id}`]);
      expect(JSON.stringify(card?.blocks)).toContain('The alert has resolved');
      const root = slack.messages('C_INCIDENTS').find((m) => m.ts === rec.meta.rootTs);
      expect(JSON.stringify(root?.blocks)).toContain('*Alert resolved:*');
    } finally {
      await slack.close();
    }
  });
});

describe('status and the report', () => {
  const rec = (): IncidentRecord => ({
    id: 'INC-0001',
    targetName: 'cache',
    version: 1,
    meta,
    state: opened(),
  });
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const deps: EdgeDeps = {
    orchestrator: {
      start: async () => ({ ok: true, id: 'X' }),
      decide: async () => {
        throw new Error('not here');
      },
      cancel: async () => null,
      load: async () => rec(),
    },
    store: { recent: async () => [listingOf(rec())] },
    reports: {} as ReportDelivery,
    refresh: async () => undefined,
    approvers: [],
    ping: async () => true,
    log: silent,
  };

  it('/incident status and list say "opened by alert", and mention nobody', async () => {
    const who = { userId: 'U_C', channelId: 'C_ALERTS' };
    for (const cmd of [{ kind: 'status' as const }, { kind: 'list' as const }]) {
      const text = await runCommand(cmd, who, deps);
      expect(text).toContain('on `cache`, opened by alert `RedisDown`,');
      expect(mentionsIn(text)).toEqual([]);
    }
  });

  it('the report says it was opened by the alert, lists the alert’s times and the incident clock; nobody to look up', () => {
    const s = resolve(waiting()).state;
    expect(peopleIn(s)).toEqual([]);
    const report = buildReport(s, rb);
    expect(report.header).toMatchObject({ startedBy: 'alert RedisDown', openedByAlert: 'RedisDown' });
    const md = renderMarkdown(report);
    expect(md).toContain('**Opened by:** alert `RedisDown` (Alertmanager)');
    expect(md).toContain(
      '- `RedisDown` (opened the incident): started 2026-12-02 03:04:00 UTC, received 2026-12-02 03:05:00 UTC, resolved 2026-12-02 03:05:29 UTC.',
    );
    expect(md).toMatch(
      /^- \d\d:\d\d:\d\d UTC alert-resolved: Alert RedisDown resolved at 2026-12-02 03:05:29 UTC\./m,
    );
    expect(report.clock.milestones.map((m) => m.milestone)).toEqual([
      'alert-started',
      'detected',
      'opened',
      'first-finding',
      'root-cause',
      'approval-asked',
      'alert-resolved',
    ]);
    expect(report.clock.durations.map((d) => `${d.name}: ${d.text}`)).toEqual([
      'Time to detect: 1 min 0 s',
      'Time to root cause: 1 min 2 s',
      'Time to resolve: 1 min 29 s',
    ]);
    expect(md).toContain('- **Time to detect:** 1 min 0 s (alert started to detected)');
    expect(report.impact.since).toMatchObject({
      at: '2026-12-02T03:04:00.000Z',
      source: 'alert RedisDown started firing (startsAt)',
    });
  });
});
