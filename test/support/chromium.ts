import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's chromium under playwright-core, never a downloaded browser. These flags keep it off the
 * network this machine does not have; Playwright gives every launch a fresh, empty profile.
 */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Switches the console's "acting as" to a user and waits until the page says so. */
export async function actAs(page: Page, userId: string): Promise<void> {
  await page.selectOption('#acting-as', userId);
  await page
    .locator('#who')
    .filter({ hasText: `@${userId.slice(2).toLowerCase()}` })
    .waitFor();
}
