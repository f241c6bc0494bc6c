import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Demo, startDemo } from '@runbook-bot/demo';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actAs as actAsUser, launchChromium } from '../support/chromium.js';
import { labEnv } from '../support/lab-run.js';

// The incident as a person reads it, in Debian's chromium against the demo (the real bot, the lab's
// broken targets, the local Slack console): the root message as a status page moving through its
// phases, one diagnosis summary, the card, the repair's result with its checks, and no follow-up card
// when the check after the fix passes. Screenshots go to test/artifacts/thread-*.png (gitignored).
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

let demo: Demo;
let dataDir: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rbb-thread-'));
  demo = await startDemo({
    repoRoot: join(dirname(fileURLToPath(import.meta.url)), '..', '..'),
    dataDir,
    lab: labEnv(),
    log: () => undefined,
    consolePort: 0,
    prefixBase: randomBytes(3).toString('hex').slice(0, 5),
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 4200 } });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The incident's root message, with its thread nested under it as the console shows it. */
const incident = (id: string): Locator =>
  page
    .locator('.msg[data-msg-ts]', { has: page.locator('.replies') })
    .filter({ hasText: `${id}:` })
    .first();

const shot = async (where: Locator, name: string) => {
  await where.scrollIntoViewIfNeeded();
  await where.screenshot({ path: join(ARTIFACTS, name) });
};

async function run(command: string) {
  await actAsUser(page, 'U_ALICE');
  await page.fill('#composer-input', command);
  await page.press('#composer-input', 'Enter');
}

async function approveOnly(inc: Locator) {
  const card = inc.locator('.replies .msg', { hasText: 'Approval needed' }).first();
  await card.waitFor({ timeout: 90_000 });
  await actAsUser(page, 'U_BOB');
  await card.locator('button', { hasText: 'Approve' }).click();
  return card;
}

describe('the incident thread in a real browser', () => {
  it('rdb-permission: status page, diagnosis summary, card, repair result, report', async () => {
    await page.goto(demo.consoleUrl);
    await page.locator('#status', { hasText: 'live' }).waitFor();
    await run('/incident run redis-permissions cache');
    const inc = incident('INC-0001');
    await inc.locator('.replies .msg', { hasText: 'Approval needed' }).waitFor({ timeout: 90_000 });

    // Waiting: the title is the root cause, the phase says so, the approver is named.
    const root = await inc.textContent();
    expect(root).not.toMatch(/INC-0001: Redis cannot persist \(RDB\/AOF/);
    expect(root).toMatch(/Phase:\s*⏳?\s*Waiting for approval|Phase:.*Waiting for approval/);
    expect(root).toMatch(/Needed next:.*@bob/);
    const summary = inc.locator('.replies .msg', { hasText: 'Diagnosis:' });
    expect(await summary.count()).toBe(1);
    expect(await summary.textContent()).toMatch(/problem.* found/);
    expect(await summary.textContent()).toMatch(/Healthy \(\d+\):/);
    await shot(inc, 'thread-rdb-waiting.png');

    const card = await approveOnly(inc);
    await inc.locator('.replies .msg', { hasText: 'Repair ran:' }).waitFor({ timeout: 90_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'thread-rdb-after-approve.png'), fullPage: true });
    await page.locator('a.file-name', { hasText: 'Incident report INC-0001' }).waitFor({ timeout: 90_000 });
    await expect.poll(async () => inc.textContent(), { timeout: 30_000 }).toMatch(/Report:.*INC-0001\.md/);

    const repair = inc.locator('.replies .msg', { hasText: 'Repair ran:' });
    expect(await repair.textContent()).toMatch(/Verification passed/);
    expect(await repair.textContent()).toMatch(/chown -R -h 999:999 \/data\/\./);
    expect(await card.textContent()).toMatch(
      /Approved by @bob .*the repair ran at .*: ok, and its verification passed/i,
    );
    expect(await card.textContent()).not.toMatch(/The repair runs now/);
    expect(await inc.textContent()).toMatch(/Phase:.*Resolved/);
    await shot(inc, 'thread-rdb-resolved.png');
  }, 240_000);

  it('wrong-network: connect, the clients reach Redis, no follow-up card', async () => {
    await run('/incident run redis-connectivity sessions');
    const inc = incident('INC-0002');
    await inc.locator('.replies .msg', { hasText: 'Approval needed' }).waitFor({ timeout: 90_000 });
    expect(await inc.textContent()).toMatch(/INC-0002: .*network/i);
    const card = inc.locator('.replies .msg', { hasText: 'Approval needed' }).first();
    // The undo names the network and the container, not placeholders.
    expect(await card.textContent()).toMatch(/Undo:\s*docker network disconnect [\w.-]+ [\w.-]+/);
    expect(await card.textContent()).not.toMatch(/<network>|<redis container>/);
    await shot(inc, 'thread-network-waiting.png');

    await approveOnly(inc);
    await page.locator('a.file-name', { hasText: 'Incident report INC-0002' }).waitFor({ timeout: 120_000 });
    const text = (await inc.textContent()) ?? '';
    expect(text).toMatch(/Phase:.*Resolved/);
    expect(text).toMatch(/Repair ran:.*Connect Redis to its clients' network: ok/);
    expect(text).toMatch(/Verification passed/);
    expect(text).toMatch(/PING → PONG/);
    // One card only: the check after the connect found every client reaching Redis.
    expect(await inc.locator('.replies .msg', { hasText: 'Approval needed' }).count()).toBe(1);
    expect(text).not.toMatch(/Restart the clients/);
    expect(text).not.toMatch(/Waiting for approval/);
    // The look after the repair is summarised too, in one message.
    expect(await inc.locator('.replies .msg', { hasText: 'Look again after the repair' }).count()).toBe(1);
    await shot(inc, 'thread-network-resolved.png');
  }, 240_000);
});
