import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** <repo>/artifacts/screenshots (git-ignored). */
export const SCREENSHOT_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../artifacts/screenshots',
);

/** Debian's Chromium. launch() gives every browser a new temporary profile (user data dir). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** One signed-in user per context: contexts share no storage. UTC, so dates match the emulator's. */
export async function newUserPage(
  browser: Browser,
  width = 1280,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width, height: 900 },
    timezoneId: 'UTC',
    locale: 'en-US',
  });
  context.setDefaultTimeout(15_000);
  return { context, page: await context.newPage() };
}

/** `isFullPage` false: what the user sees now (a sticky header would repeat down a full-page shot). */
export async function screenshot(page: Page, name: string, isFullPage = true): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = resolve(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: isFullPage });
  return path;
}

/** One part of the page (the header, a notice) as it is shown now. */
export async function screenshotOf(locator: Locator, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = resolve(SCREENSHOT_DIR, `${name}.png`);
  await locator.screenshot({ path });
  return path;
}

/** Waits until the element's text matches (webhooks and polling make some changes arrive late). */
export async function waitForText(
  locator: Locator,
  expected: string | RegExp,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (
      (await locator
        .first()
        .textContent({ timeout: 1_000 })
        .catch(() => null)) ?? ''
    )
      .replace(/\s+/g, ' ')
      .trim();
    if (typeof expected === 'string' ? last.includes(expected) : expected.test(last)) return last;
    await new Promise((resolvePoll) => setTimeout(resolvePoll, 150));
  }
  throw new Error(`Timed out waiting for ${String(expected)}; the text was: "${last}"`);
}

export function uniqueEmail(label: string): string {
  return `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@e2e.tollgate.test`;
}
