import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalSlack, type LocalSlack, signV0 } from '@runbook-bot/local-slack';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actAs as actAsUser, launchChromium } from '../support/chromium.js';

// The web console in a real browser: Debian's chromium driven by playwright-core (never a downloaded
// browser). A stand-in bot, a few lines of node:http here, answers like the real one would: the slash
// command opens an incident and posts an approval card in its thread; a click from someone who may not
// approve gets an ephemeral refusal, a click from the approver turns the card into "Approved by".

const SECRET = 'browser-signing-secret';
const TOKEN = 'xoxb-browser-test';
const CH = 'C_INCIDENTS';
const APPROVER = 'U_BOB';
const SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts', 'console.png');

let slack: LocalSlack;
let bot: Server;
let browser: Browser;
let page: Page;

async function web(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await fetch(`${slack.url}${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(args),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (json.ok !== true) throw new Error(`${method}: ${JSON.stringify(json)}`);
  return json;
}

const card = (incident: string) => [
  { type: 'header', text: { type: 'plain_text', text: 'Approval needed: give /data to the Redis user' } },
  {
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: '*Root cause:* /data is owned by `1001:1001` but Redis runs as `999:999`.\n*The repair will run exactly:*\n```docker exec -u root cache chown -R 999:999 /data```',
    },
  },
  {
    type: 'section',
    fields: [
      { type: 'mrkdwn', text: '*Risk:* low' },
      { type: 'mrkdwn', text: '*Undo:* chown back to 1001' },
    ],
  },
  { type: 'context', elements: [{ type: 'mrkdwn', text: `Approval request \`a1\` for ${incident}.` }] },
  {
    type: 'actions',
    block_id: 'approval.a1',
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Approve' },
        action_id: 'approve',
        value: incident,
        style: 'primary',
      },
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Reject' },
        action_id: 'reject',
        value: incident,
        style: 'danger',
      },
    ],
  },
];

/** The stand-in bot: checks the signature, acks at once, then acts through the Web API. */
async function handle(req: IncomingMessage, raw: string): Promise<{ status: number; json?: unknown }> {
  const ts = Number(req.headers['x-slack-request-timestamp']);
  if (req.headers['x-slack-signature'] !== signV0(SECRET, ts, raw) || Math.abs(Date.now() / 1000 - ts) > 300)
    return { status: 401 };
  const form = new URLSearchParams(raw);
  const payload = form.get('payload');
  if (payload === null) {
    const channel = form.get('channel_id') ?? CH;
    const root = await web('chat.postMessage', {
      channel,
      text: 'INC-0001 opened',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `:rotating_light: *INC-0001* ${form.get('text')} · started by <@${form.get('user_id')}>`,
          },
        },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: ':mag: diagnosis finished: 9 checks, root cause found' }],
        },
      ],
    });
    await web('chat.postMessage', {
      channel,
      thread_ts: root.ts,
      text: 'Approval needed',
      blocks: card('INC-0001'),
    });
    return { status: 200, json: { response_type: 'ephemeral', text: `Starting \`${form.get('text')}\`…` } };
  }
  const p = JSON.parse(payload) as {
    user: { id: string };
    channel: { id: string };
    container: { message_ts: string };
    actions: { action_id: string }[];
  };
  if (p.user.id !== APPROVER) {
    await web('chat.postEphemeral', {
      channel: p.channel.id,
      user: p.user.id,
      text: `:no_entry: <@${p.user.id}>, you are not allowed to approve repairs on this target.`,
    });
    return { status: 200 };
  }
  const decision = p.actions[0]?.action_id === 'approve' ? 'Approved' : 'Rejected';
  await web('chat.update', {
    channel: p.channel.id,
    ts: p.container.message_ts,
    text: `${decision} by <@${p.user.id}>`,
    blocks: [
      ...card('INC-0001').slice(0, 3),
      { type: 'divider' },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `:white_check_mark: *${decision} by <@${p.user.id}>*` },
      },
    ],
  });
  return { status: 200 };
}

beforeAll(async () => {
  bot = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString('utf8')).then(
        (r) =>
          r.json === undefined
            ? res.writeHead(r.status).end()
            : res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.json)),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
  });
  await new Promise<void>((r) => bot.listen(0, '127.0.0.1', r));
  slack = await createLocalSlack({
    signingSecret: SECRET,
    botToken: TOKEN,
    botUrl: `http://127.0.0.1:${(bot.address() as AddressInfo).port}/slack/events`,
    userGroups: [{ id: 'S_ONCALL', handle: 'oncall', users: [APPROVER] }],
    consoleExtras: {
      title: 'Demo',
      actions: [{ id: 'break', label: 'Break a scenario', run: async () => 'rdb-permission is broken' }],
    },
  });
  // Playwright gives every launch a fresh, empty profile of its own (its --user-data-dir).
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await slack?.close();
  await new Promise((r) => (bot ? bot.close(r) : r(undefined)));
});

const actAs = (userId: string) => actAsUser(page, userId);

describe('web console in Chromium', () => {
  it('runs a command from the composer, shows a refusal to a non-approver, and the approval', async () => {
    await page.goto(`${slack.origin}/`);
    await page.locator('#status', { hasText: 'live' }).waitFor();
    await actAs('U_ALICE');

    await page.fill('#composer-input', '/incident run redis-permissions cache');
    await page.press('#composer-input', 'Enter');
    const approval = page.locator('.replies .msg', { hasText: 'Approval needed' });
    await approval.waitFor();
    await page.locator('.ephemeral', { hasText: 'Starting run redis-permissions cache…' }).waitFor();
    expect(await page.locator('.msg', { hasText: 'INC-0001' }).first().textContent()).toContain('@alice');
    expect(await approval.locator('pre.code').textContent()).toBe(
      'docker exec -u root cache chown -R 999:999 /data',
    );
    expect(await approval.locator('button.btn.primary').textContent()).toBe('Approve');
    expect(await approval.locator('button.btn.danger').textContent()).toBe('Reject');

    // Carol may not approve: the refusal is hers alone.
    await actAs('U_CAROL');
    await approval.locator('button', { hasText: 'Approve' }).click();
    const refusal = page.locator('.ephemeral', { hasText: 'you are not allowed to approve' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('Only visible to you');
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-refusal.png'), fullPage: true });
    await actAs('U_BOB');
    await refusal.waitFor({ state: 'detached' });

    await approval.locator('button', { hasText: 'Approve' }).click();
    await page.locator('.replies .msg', { hasText: 'Approved by @bob' }).waitFor();
    expect(await page.locator('.replies button', { hasText: 'Approve' }).count()).toBe(0);
    expect(await page.locator('.replies .edited').count()).toBe(1);

    await page.click('#extras button');
    await page.locator('#extras-result', { hasText: 'rdb-permission is broken' }).waitFor();

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('keeps who you act as across a reload, and collapses a thread', async () => {
    await page.reload();
    await page.locator('#status', { hasText: 'live' }).waitFor();
    expect(await page.inputValue('#acting-as')).toBe('U_BOB');
    await page.click('.thread-link');
    await page.locator('.replies').waitFor({ state: 'detached' });
    await page.click('.thread-link');
    await page.locator('.replies .msg', { hasText: 'Approved by @bob' }).waitFor();
  });

  it('shows tables, long numbered lists and group mentions as Slack and a Markdown viewer do', async () => {
    const checklist = Array.from(
      { length: 11 },
      (_, i) => `${i + 1}. **Check ${i + 1}**: \`cmd\`\n${i >= 9 ? '    ' : '   '}- finding ${i + 1}`,
    ).join('\n');
    const table =
      '| Check | Status | Evidence |\n| --- | --- | --- |\n| BGSAVE | ✅ | BGSAVE → started<br>Background saving started |';
    const root = await web('chat.postMessage', {
      channel: CH,
      text: 'Verification',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: 'Who may approve: <@U_BOB> or <!subteam^S_ONCALL>' },
        },
        {
          type: 'table',
          rows: [
            [
              { type: 'raw_text', text: 'Check' },
              { type: 'raw_text', text: 'Status' },
            ],
            [
              { type: 'raw_text', text: 'BGSAVE is accepted' },
              { type: 'raw_text', text: '✅' },
            ],
          ],
        },
        { type: 'markdown', text: `${checklist}\n\n${table}` },
      ],
    });
    const content = `# Report\n\n${checklist}\n\n${table}\n`;
    const up = await web('files.getUploadURLExternal', {
      filename: 'INC-0009.md',
      length: Buffer.byteLength(content),
    });
    await fetch(String(up.upload_url), { method: 'POST', body: content });
    await web('files.completeUploadExternal', {
      files: JSON.stringify([{ id: up.file_id, title: 'INC-0009.md' }]),
      channel_id: CH,
      thread_ts: root.ts,
      initial_comment: 'The report',
    });

    await page.reload();
    await page.locator('#status', { hasText: 'live' }).waitFor();
    const msg = page.locator('.msg', { hasText: 'Who may approve' }).first();
    await msg.waitFor();
    expect(await msg.locator('.mention.group').textContent()).toBe('@oncall');
    expect(await msg.locator('table.b-table th').allTextContents()).toEqual(['Check', 'Status']);
    expect(await msg.locator('.b-markdown > ol').count()).toBe(1);
    expect(await msg.locator('.b-markdown > ol > li').count()).toBe(11);
    const shown = await msg.innerText();
    expect(shown).not.toMatch(/<br>|subteam|\*\*|\| ---/);
    expect(shown).toContain('BGSAVE → started\nBackground saving started');
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-tables.png'), fullPage: true });

    const viewer = await browser.newPage();
    await viewer.goto(`${slack.origin}/console/files/${String(up.file_id)}`);
    expect(await viewer.locator('body > ol').count()).toBe(1);
    expect(await viewer.locator('body > ol > li').count()).toBe(11);
    expect(await viewer.locator('body > ol > li').nth(9).locator('ul > li').textContent()).toBe('finding 10');
    const cell = viewer.locator('td').nth(2);
    expect(await cell.innerText()).toBe('BGSAVE → started\nBackground saving started');
    expect(await viewer.locator('body').innerText()).not.toContain('<br>');
    await viewer.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-report.png'), fullPage: true });
    await viewer.close();
  });
});
