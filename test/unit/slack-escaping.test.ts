import type { LocalSlack } from '@runbook-bot/local-slack';
import { afterEach, describe, expect, it } from 'vitest';
import type { StepJob } from '../../src/incidents/ports.js';
import type { ExecResult, Runbook, StepContext, TargetView } from '../../src/runbooks/index.js';
import { MemoryStore } from '../support/memory-store.js';
import { APPROVER, APPROVER_GROUP, CHANNEL, type SlackWorld, slackWorld } from '../support/slack-world.js';
import { res, toyRunbook, toyTarget, unreachable } from '../support/toy-runbook.js';

// Whatever a target prints reaches Slack as text people read: it must never ping or link anyone.
// Every message kind goes through the real notifier, Web API client and Bolt edge to the local Slack,
// which lists every text the bot had rendered; the only mentions allowed are the people the bot
// names on purpose. The hostile ids are ones the bot never names, so a leak cannot pass for intent.

const HOSTILE =
  '<!channel> <!here> <!everyone> <@U_EVIL> <!subteam^S_EVIL> <#C_EVIL> <http://evil.example|click me> <mailto:x@y> & more';
const STARTER = 'U_ALICE';
const INTENDED = new Set([`user:${STARTER}`, `user:${APPROVER}`, `usergroup:${APPROVER_GROUP}`]);

/**
 * The toy runbook quoting its target the way real analyzers do (statements, facts, the repair's command
 * and undo), with titles that say the same.
 */
function hostileRunbook(o: { rejectedSummary?: string } = {}): Runbook {
  const rb = toyRunbook();
  const firstLine = (s: string) => s.split('\n')[0] ?? '';
  const steps = rb.steps.map((s) => {
    if (s.kind === 'diagnose')
      return {
        ...s,
        title: `${s.title} ${HOSTILE}`,
        analyze: (r: ExecResult, ctx: StepContext) => {
          const a = s.analyze(r, ctx);
          const findings = a.findings.map((f) => ({
            ...f,
            statement: r.stdout === '' ? f.statement : `${f.statement}: ${firstLine(r.stdout)}`,
            evidence: [...f.evidence, r.stderr].filter((e) => e !== ''),
          }));
          const line = r.stdout.startsWith('bad') ? { 'bad.line': firstLine(r.stdout) } : {};
          return { ...a, findings, facts: { ...a.facts, ...line } };
        },
      };
    if (s.kind === 'repair')
      return {
        ...s,
        title: `${s.title} ${HOSTILE}`,
        undo: 'put back {bad.line}',
        actions: (ctx: StepContext) => [
          {
            kind: 'exec' as const,
            place: { at: 'redis' as const },
            argv: ['fix', String(ctx.facts['bad.line'])],
          },
        ],
      };
    if (s.kind === 'outcome' && s.id === 'rejected' && o.rejectedSummary)
      return { ...s, summary: o.rejectedSummary };
    return s;
  });
  const causes = { broken: { title: `It is broken ${HOSTILE}`, evidence: ['bad'], prevention: [] } };
  return { ...rb, title: `Toy ${HOSTILE}`, steps, causes };
}

/** Round 1: `b` finds the fault with evidence past what fits inline, `c` is unreachable. */
function roundOne(job: StepJob): ExecResult {
  if (job.stepId === 'b') {
    const log = Array.from({ length: 80 }, (_, i) => `line ${i} ${HOSTILE}`).join('\n');
    return res(`bad ${HOSTILE}\n${log}`, { stderr: `stderr ${HOSTILE}` });
  }
  if (job.stepId === 'c') return unreachable(`ssh said ${HOSTILE}`);
  return res(`fine ${HOSTILE}`, { stderr: `warning ${HOSTILE}` });
}

/** The repair and what follows it: verified, then the second look cannot read one client. */
function afterRepair(job: StepJob): ExecResult {
  if (job.kind === 'repair') return res(`fixed ${HOSTILE}`, { stderr: HOSTILE });
  if (job.stepId === 'v') return res('good');
  if (job.stepKey.startsWith('d@worker')) return unreachable(`worker said ${HOSTILE}`);
  return res(`fine ${HOSTILE}`);
}

/** Every mention or link Slack would render other than the people the bot names on purpose. */
function stray(slack: LocalSlack): string[] {
  return slack.store
    .renderedMentions()
    .filter((m) => !('id' in m.mention && INTENDED.has(`${m.mention.kind}:${m.mention.id}`)))
    .map((m) => `${m.source} ${m.path}: ${m.mention.raw} in «${m.text.slice(0, 160)}»`);
}

/** The sources (and paths) whose text shows the hostile line, escaped so that it reads as written. */
function shownEscaped(slack: LocalSlack): Set<string> {
  const escaped = [
    '&lt;!channel&gt;',
    '&lt;@U_EVIL&gt;',
    '&lt;http://evil.example|click me&gt;',
    '&amp; more',
  ];
  return new Set(
    slack.store
      .renderedTexts()
      .filter((t) => escaped.every((e) => t.text.includes(e)))
      .map((t) => `${t.source} ${t.path.replace(/\[\d+\]/g, '[]')}`),
  );
}

function failures(slack: LocalSlack): string[] {
  return [
    ...slack.store.calls.filter((c) => !c.ok).map((c) => `${c.method}: ${c.error}`),
    ...slack.store.responses.filter((r) => r.outcome === 'rejected').map((r) => `response_url: ${r.error}`),
  ];
}

const pending = async (w: SlackWorld, id: string) => {
  const a = Object.values((await w.store.load(id))?.state.approvals ?? {}).find(
    (x) => x.status === 'pending',
  );
  if (!a) throw new Error(`${id} has no pending approval`);
  return a.id;
};

let world: SlackWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('text from a target never pings or links anyone in Slack', () => {
  it('an incident whose outputs, findings, titles, commands, undo, timeline and outcome are hostile', async () => {
    const w = await slackWorld(hostileRunbook(), [toyTarget]);
    world = w;
    expect(await w.command('run toy cache', STARTER)).toMatch(/^Started \*INC-0001\*/);
    await w.answer('INC-0001', roundOne);
    const approval = await pending(w, 'INC-0001');
    expect(await w.command('status INC-0001', STARTER)).toMatch(
      /Waiting for approval of "fix it &lt;!channel&gt;/,
    );
    expect(await w.command('status', STARTER)).toMatch(/^\*INC-0001\*/);
    expect(await w.command('list', STARTER)).toMatch(/^\*INC-0001\*/);
    expect(await w.click('INC-0001', approval, 'approve', 'U_CAROL')).toMatch(/^:no_entry: You are not/);
    expect(await w.click('INC-0001', approval, 'approve', APPROVER)).toMatch(
      /^:white_check_mark: You approved/,
    );
    // A stale client still shows the buttons: refused, naming who decided.
    expect(await w.click('INC-0001', approval, 'reject', APPROVER)).toMatch(
      /^:no_entry: Already approved by/,
    );
    // While the repair runs, the last event is its command line, built from what the target printed.
    expect(await w.command('status INC-0001', STARTER)).toMatch(
      /Last event .*: fix it .*: docker exec .*&lt;!here&gt;/,
    );
    await w.answer('INC-0001', afterRepair);
    expect((await w.store.load('INC-0001'))?.state.status).toBe('inconclusive');
    expect(await w.command('status INC-0001', STARTER)).toMatch(/Outcome: .*worker said &lt;!channel&gt;/);

    expect(stray(w.slack)).toEqual([]);
    // The people the bot does name are still named, so the check above is not vacuous.
    const named = new Set(w.slack.store.renderedMentions().map((m) => m.mention.raw));
    expect(named).toEqual(new Set([`<@${STARTER}>`, `<@${APPROVER}>`, `<!subteam^${APPROVER_GROUP}>`]));
    const shown = shownEscaped(w.slack);
    for (const where of [
      'chat.postMessage text', // findings' notification text
      'chat.postMessage blocks[].text', // findings, evidence, the card's cause and commands
      'chat.update blocks[].text', // the root's outcome, the decided card
      'files.completeUploadExternal initial_comment', // the findings file, the report
      'response_url text', // status replies: outcome, last event
    ])
      expect(shown, where).toContain(where);
    expect(w.slack.store.renderedTexts().filter((t) => t.text.includes('&amp;lt;'))).toEqual([]);
    expect(failures(w.slack)).toEqual([]);
  });

  it('an incident on a target and under an id that break the rules: its approval expires', async () => {
    // Neither the targets file nor the stores make names or ids like these; the edge does not count on it.
    class OddIds extends MemoryStore {
      override async nextId() {
        return `${await super.nextId()}${HOSTILE}`;
      }
    }
    const name = `cache${HOSTILE}`;
    const target: TargetView = { ...toyTarget, name, redis: { ...toyTarget.redis, container: name } };
    const w = await slackWorld(hostileRunbook(), [target], new OddIds());
    world = w;
    const started = await w.orchestrator.start({
      runbookId: 'toy',
      targetName: name,
      startedBy: STARTER,
      meta: { channel: CHANNEL },
    });
    if (!started.ok) throw new Error('not started');
    await w.answer(started.id, roundOne);
    const approval = await pending(w, started.id);
    await w.command('status', STARTER);
    await w.command('list', STARTER);
    await w.orchestrator.apply(started.id, { type: 'approval-expired', approvalId: approval });
    await w.command('list', STARTER);
    expect((await w.store.load(started.id))?.state.status).toBe('expired');

    expect(stray(w.slack)).toEqual([]);
    for (const where of [
      'chat.update blocks[].text', // the root's target, the expired card
      'chat.postMessage blocks[].elements[]', // the note naming the findings file
      'files.completeUploadExternal initial_comment', // the report
      'response_url text', // status and list
    ])
      expect(shownEscaped(w.slack), where).toContain(where);
    expect(failures(w.slack)).toEqual([]);
  });
});

describe('what a person typed, echoed back, never pings or links anyone', () => {
  it('help, near misses and refusals show typed text and listed names escaped, and mention only approvers', async () => {
    const w = await slackWorld(hostileRunbook(), [toyTarget]);
    world = w;
    const ack = async (text: string) => {
      const r = await w.slack.slashCommand({ userId: STARTER, channelId: CHANNEL, text });
      return String((r.json as { text?: unknown } | undefined)?.text ?? r.body);
    };
    const help = await ack('help');
    expect(help).toContain('• `toy`: Toy &lt;!channel&gt;');
    expect(help).toContain('*Targets* (1): `cache` (docker)');
    expect(await ack(`stauts ${HOSTILE}`)).toMatch(/Did you mean `status`\?/);
    expect(await ack('run tyo cache')).toMatch(/Did you mean `\/incident run toy cache`\?/);
    expect(await ack(`run toy ${HOSTILE}`)).toMatch(/got \d+ arguments/);
    expect(await ack('run toy <!channel>')).toMatch(/no target `&lt;!channel&gt;`/);
    expect(await ack(`<@U_EVIL>${HOSTILE}`)).toMatch(/no subcommand `&lt;@U EVIL&gt;/);
    expect(await w.store.recent(10)).toEqual([]);

    await w.command('run toy cache', STARTER);
    await w.answer('INC-0001', roundOne);
    const refused = await w.click('INC-0001', await pending(w, 'INC-0001'), 'approve', 'U_CAROL');
    expect(refused).toMatch(/not allowed to approve.*Ask: <@U_BOB>\./);
    expect(stray(w.slack)).toEqual([]);
    expect(shownEscaped(w.slack)).toContain('command_reply text');
    expect(failures(w.slack)).toEqual([]);
  });
});

describe('Slack limits', () => {
  it('a finding with 200 kB of output and an outcome summary of 50,000 characters still post', async () => {
    // The rejected outcome's own summary: the run's ending is that, and what it appends, or longer.
    const summary = `${HOSTILE} `.repeat(Math.ceil(50_000 / HOSTILE.length)).slice(0, 50_000);
    const w = await slackWorld(hostileRunbook({ rejectedSummary: summary }), [toyTarget]);
    world = w;
    await w.command('run toy cache', STARTER);
    const huge = `bad ${`${HOSTILE} `.repeat(Math.ceil(200_000 / HOSTILE.length))}`;
    await w.answer('INC-0001', (job) => (job.stepId === 'b' ? res(huge) : res('fine')));
    await w.click('INC-0001', await pending(w, 'INC-0001'), 'reject', APPROVER);
    const status = await w.command('status INC-0001', STARTER);
    const rec = await w.store.load('INC-0001');
    expect(rec?.state.outcome?.summary.length).toBeGreaterThanOrEqual(50_000);
    expect(huge.length).toBeGreaterThan(200_000);

    expect(failures(w.slack)).toEqual([]);
    const files = [...w.slack.store.files.values()].map((f) => f.filename);
    expect(files).toEqual(expect.arrayContaining(['INC-0001-diagnosis-1.txt', 'INC-0001.md']));
    const findings = [...w.slack.store.files.values()].find((f) => f.filename === 'INC-0001-diagnosis-1.txt');
    expect(findings?.content?.toString('utf8')).toContain(huge.slice(-1000));
    expect(status).toMatch(/more characters not shown/);
    expect(stray(w.slack)).toEqual([]);
  });
});
