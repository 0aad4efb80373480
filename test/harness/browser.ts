import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type BrowserContextOptions, type Page, chromium } from 'playwright-core';
import { repoRoot } from './repoRoot.js';

/**
 * Debian's Chromium, installed by test/run.sh (`apt-get install chromium`): playwright-core downloads no browser, and
 * the console must be shown to work in a browser the machine's package manager keeps patched.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where {@link screenshot} writes: kept as test artifacts, ignored by git. */
export const SCREENSHOT_DIR = join(repoRoot, 'test', 'artifacts', 'screenshots');

/** The two screens the console must be readable on. */
export const viewports = {
  /** A common phone in portrait, in CSS pixels. */
  phone: { width: 390, height: 844 },
  /** The smallest common laptop screen. */
  laptop: { width: 1366, height: 768 },
} as const;

export type ScreenSize = keyof typeof viewports;

/**
 * Starts headless Chromium through playwright-core.
 * @param options.executablePath @default CHROMIUM_PATH
 * @returns the browser; close it in the test's afterAll
 */
export async function launchBrowser(options: { executablePath?: string } = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} is missing: bash test/run.sh installs it (or apt-get install -y chromium)`);
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      // Chromium's sandbox refuses to run as root, which the test machines and CI containers are.
      '--no-sandbox',
      // Containers often give /dev/shm 64 MB, which renderers run out of; /tmp has room.
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * A fresh context (its own cookies and storage: one user's session) with a phone's or a laptop's screen. The phone
 * honours `<meta name="viewport">` and has touch, as a real one would.
 * @param browser from {@link launchBrowser}
 * @param size `phone` (390x844) or `laptop` (1366x768)
 * @param options anything else for the context (baseURL, ignoreHTTPSErrors for a self-signed console)
 */
export async function newContext(browser: Browser, size: ScreenSize, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const phone = size === 'phone';
  return browser.newContext({
    viewport: viewports[size],
    deviceScaleFactor: 1,
    isMobile: phone,
    hasTouch: phone,
    ...options,
  });
}

/**
 * Saves a PNG of the whole page as `test/artifacts/screenshots/<name>.png` (an existing one is replaced).
 * @param name letters, digits, `-` and `_`, e.g. `review-queue-laptop`
 * @param options.fullPage the whole scrollable page, not only the viewport @default true
 * @returns the file's path
 */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<string> {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(name)) throw new Error(`screenshot name must be [A-Za-z0-9_-]{1,100}: got "${name}"`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? true });
  return path;
}
