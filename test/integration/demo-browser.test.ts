import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Demo, startDemo } from '@runbook-bot/demo';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actAs as actAsUser, launchChromium } from '../support/chromium.js';
import { labEnv } from '../support/lab-run.js';

// The demo a newcomer gets from `npm run demo`, in Debian's chromium: the real bot, its own Redis, the
// lab's broken `cache` and the local Slack console. The rdb-permission story from the composer to
// the report, with screenshots kept in test/artifacts/.
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');

let demo: Demo;
let dataDir: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rbb-demo-'));
  demo = await startDemo({
    repoRoot: join(dirname(fileURLToPath(import.meta.url)), '..', '..'),
    dataDir,
    lab: labEnv(),
    log: () => undefined,
    consolePort: 0,
    prefixBase: randomBytes(3).toString('hex').slice(0, 5),
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const actAs = (userId: string) => actAsUser(page, userId);

describe('the demo in a real browser', () => {
  it('rdb-permission: composer → findings → approval card → Approve → resolved → report', async () => {
    await page.goto(demo.consoleUrl);
    await page.locator('#status', { hasText: 'live' }).waitFor();
    await actAs('U_ALICE');
    await page.fill('#composer-input', '/incident run redis-permissions cache');
    await page.press('#composer-input', 'Enter');

    const card = page.locator('.replies .msg', { hasText: 'Approval needed' });
    await card.waitFor({ timeout: 60_000 });
    expect(await card.locator('pre.code').first().textContent()).toMatch(/chown -R -h 999:999 \/data\/\./);
    await expect
      .poll(() => page.locator('.replies .msg', { hasText: 'Permission denied' }).count())
      .toBeGreaterThan(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo-approval-card.png'), fullPage: true });

    // Alice is on call but not an approver: her click is refused, to her alone; Bob may approve.
    await card.locator('button', { hasText: 'Approve' }).click();
    // The refusal names who can approve, as Slack shows a mention.
    await page
      .locator('.ephemeral', { hasText: 'not allowed to approve repairs. Nothing was run. Ask: @bob.' })
      .waitFor();
    await actAs('U_BOB');
    await card.locator('button', { hasText: 'Approve' }).click();

    await page.locator('.msg', { hasText: 'Resolved' }).first().waitFor({ timeout: 90_000 });
    const report = page.locator('a.file-name', { hasText: 'Incident report INC-0001' });
    await report.waitFor({ timeout: 30_000 });
    // Tall enough that the channel pane shows the resolved root message and the decided card at once.
    await page.setViewportSize({ width: 1280, height: 4200 });
    await page.screenshot({ path: join(ARTIFACTS, 'demo-resolved.png'), fullPage: true });

    const href = await report.getAttribute('href');
    const text = await (await fetch(new URL(`${href}?raw=1`, demo.consoleUrl))).text();
    expect(text).toMatch(/chown -R -h 999:999 \/data\/\./);
    expect(text).toMatch(/U_BOB/);
    expect(text).toMatch(/✅/);
    expect(readdirSync(demo.reportsDir)).toEqual(['INC-0001.md']);
    expect(readFileSync(join(demo.reportsDir, 'INC-0001.md'), 'utf8')).toBe(text);
  });
});
