/**
 * The browser of the browser tests (test/console/): the operating system's Chromium, driven by
 * playwright-core (Playwright's own browser download cannot work offline). Found at
 * $CHROMIUM_PATH, else where the Debian and Ubuntu packages put it; when there is none the tests
 * fail with a message saying how to get one — never a silent skip (`.ci/run` installs it).
 */
import * as fs from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where the console is laid out to be readable (docs/console.md). */
export const VIEWPORT = { width: 1280, height: 800 } as const;

/** The Debian package `chromium`, then Ubuntu's `chromium-browser`. */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'] as const;

export const CHROMIUM_NOT_FOUND =
  'Chromium not found: install the Debian package (apt-get install chromium) or set CHROMIUM_PATH — .ci/run installs it';

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The Chromium executable to launch; throws CHROMIUM_NOT_FOUND (with what was tried) when none. */
export function chromiumPath(
  env: NodeJS.ProcessEnv = process.env,
  usable: (file: string) => boolean = isExecutableFile,
): string {
  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (usable(fromEnv)) return fromEnv;
    throw new Error(`${CHROMIUM_NOT_FOUND} (CHROMIUM_PATH=${fromEnv} is not an executable file)`);
  }
  const found = CHROMIUM_CANDIDATES.find((file) => usable(file));
  if (found !== undefined) return found;
  throw new Error(`${CHROMIUM_NOT_FOUND} (looked at ${CHROMIUM_CANDIDATES.join(', ')})`);
}

/**
 * Headless Chromium. `--no-sandbox`: CI runs as root, where Chromium's sandbox cannot start. A
 * missing Chromium is a rejection (never a throw before the caller's other work is under way).
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
}

export interface BrowserPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Uncaught errors of the page's scripts, in order (a test expects none). */
  readonly pageErrors: Error[];
}

/** A fresh context (no shared storage) at 1280×800, and one page in it. */
export async function newPage(browser: Browser): Promise<BrowserPage> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const pageErrors: Error[] = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  return { context, page, pageErrors };
}
