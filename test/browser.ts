/**
 * What every browser test shares: where Chromium and the built web app are, the app listening on a port, Chromium
 * launched headless with the flags this machine needs, and small helpers (valid NIPs, text as a person reads it).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_PASSWORD, type TestApp } from '@laurel/core/testing';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const WEB_DIR = fileURLToPath(new URL('../web/build', import.meta.url));
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) console.log(`[browser] no Chromium at ${CHROMIUM}: skipping the browser tests (install chromium to run them)`);

/** Listen on a free loopback port; the base URL to open. */
export async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

/** Chromium, headless, without the sandbox and without reaching out to the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Sign in through the sign-in page as a person would (the password every test user has), and wait for `landing`. */
export async function signInOnPage(page: Page, base: string, email: string, landing: RegExp = /\/admin$/): Promise<void> {
  await page.goto(`${base}/sign-in`);
  await page.locator('main input[name="email"]').fill(email);
  await page.locator('main input[name="password"]').fill(TEST_PASSWORD);
  await page.locator('main form button[type="submit"]').click();
  await page.waitForURL(landing);
}

/** Open a page and wait until the web app has hydrated (the root layout marks `<html data-hydrated>`). */
export async function gotoHydrated(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('html[data-hydrated]', { state: 'attached' });
}

/** A NIP with a valid check digit (weights 6,5,7,2,3,4,5,6,7), built from a 9-digit base. */
export function validNip(base: number): string {
  const weights = [6, 5, 7, 2, 3, 4, 5, 6, 7];
  for (let bump = 0; ; bump += 1) {
    const digits = String(base + bump).padStart(9, '0').slice(0, 9);
    const check = digits.split('').reduce((sum, d, i) => sum + Number(d) * weights[i]!, 0) % 11;
    if (check !== 10) return `${digits}${check}`;
  }
}

/** Text as a person reads it: non-breaking and narrow spaces (grouping in pl and ru) as plain spaces. */
export const plain = (text: string): string => text.replace(/[\u00a0\u202f]/g, ' ');
