/**
 * What the browser tests of the operator console share: `txc local serve` as a child process
 * (test/ops/local-serve.ts), the system Chromium (test/support/browser.ts), waits on the app's
 * data-testids (local/console/app/) and the screenshots the docs show (docs/console.md).
 *
 * Waits are conditions, never durations: a locator's `waitFor()` (Playwright's auto-waiting; a
 * `filter({ hasText })` for text) until the app's polling shows the state, within WAIT_MS.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { CONSOLE_API_PATH } from '../../local/console/contract';
import { type BrowserPage, launchBrowser, newPage } from '../support/browser';
import { ROOT, serve, type Served } from '../ops/local-serve';

/** How long a wait may take before the test fails (the app polls every 1–5 s). */
export const WAIT_MS = 45_000;

/** Where the screenshots go: docs/console/<name>.png, overwritten by every run. */
export const SCREENSHOT_DIR = path.join(ROOT, 'docs', 'console');

export const SDK_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * `txc local serve --port 0 --json <args>` and Chromium, started side by side. When either fails
 * the other is stopped (no child left running) and the failure thrown — Chromium's first, as it
 * says how to get one.
 */
export async function serveWithBrowser(
  args: string[],
): Promise<{ served: Served; browser: Browser }> {
  const [served, browser] = await Promise.allSettled([serve(args), launchBrowser()]);
  if (served.status === 'fulfilled' && browser.status === 'fulfilled') {
    return { served: served.value, browser: browser.value };
  }
  if (served.status === 'fulfilled') await served.value.stop();
  if (browser.status === 'fulfilled') await browser.value.close();
  throw browser.status === 'rejected' ? browser.reason : (served as PromiseRejectedResult).reason;
}

/** A page on the console at `hash` (e.g. `#/backlog`), once the header says connected. */
export async function openConsole(
  browser: Browser,
  consoleUrl: string,
  hash = '#/executions',
): Promise<BrowserPage> {
  const opened = await newPage(browser);
  opened.page.setDefaultTimeout(WAIT_MS);
  await opened.page.goto(`${consoleUrl}${hash}`);
  await connectionIs(opened.page, 'connected');
  return opened;
}

/** `GET <CONSOLE_API_PATH><path>` from Node (what the app reads), expected to answer 200. */
export async function consoleApi<T>(consoleUrl: string, path: string): Promise<T> {
  const answer = await fetch(new URL(`${CONSOLE_API_PATH}${path}`, consoleUrl));
  expect(answer.status).toBe(200);
  return (await answer.json()) as T;
}

/** Waits until the header's connection indicator is in `state`. */
export async function connectionIs(
  page: Page,
  state: 'connecting' | 'connected' | 'reconnecting',
): Promise<void> {
  await page.locator(`[data-testid="connection-status"][data-state="${state}"]`).waitFor();
}

/** Goes to a view by its header link and waits for the view. */
export async function goTo(page: Page, view: 'executions' | 'backlog' | 'schedule'): Promise<void> {
  await page.getByTestId(`nav-${view}`).click();
  await page.getByTestId(`${view}-view`).waitFor();
}

/** `attr="value"` for a CSS selector (the value quoted as a CSS string). */
export function attr(name: string, value: string): string {
  return `[${name}=${JSON.stringify(value)}]`;
}

/** The executions list's row of execution `name`. */
export function executionRow(page: Page, name: string): Locator {
  return page.locator(`[data-testid="execution-row"]${attr('data-name', name)}`);
}

/** Waits until the row of `name` shows `status`; returns the row. */
export async function rowStatus(page: Page, name: string, status: string): Promise<Locator> {
  const row = page.locator(
    `[data-testid="execution-row"]${attr('data-name', name)}${attr('data-status', status)}`,
  );
  await row.waitFor();
  return row;
}

/** Waits until `locator` (its first match) contains `text`; returns its whole text. */
export async function textOf(locator: Locator, text: string | RegExp): Promise<string> {
  const match = locator.filter({ hasText: text }).first();
  await match.waitFor();
  return (await match.textContent()) ?? '';
}

/**
 * Fills and submits the Start form (Executions view) and waits for its "Started" link; returns
 * the execution's name.
 */
export async function startFromForm(
  page: Page,
  fields: { dryRun?: boolean; ids?: string; maxItems?: string; name: string },
): Promise<string> {
  const dry = page.getByTestId('start-dry-run');
  if ((await dry.isChecked()) !== (fields.dryRun ?? false)) await dry.click();
  await page.getByTestId('start-ids').fill(fields.ids ?? '');
  await page.getByTestId('start-max-items').fill(fields.maxItems ?? '');
  await page.getByTestId('start-created-before').fill('');
  await page.getByTestId('start-name').fill(fields.name);
  await page.getByTestId('start-submit').click();
  await textOf(page.getByTestId('start-result-link'), fields.name);
  return fields.name;
}

/** Opens execution `name`'s detail from its row's link and waits until it shows `status`. */
export async function openExecution(page: Page, name: string, status: string): Promise<void> {
  await executionRow(page, name).getByTestId('execution-link').click();
  await page.getByTestId('execution-detail').waitFor();
  await textOf(page.getByTestId('detail-name'), name);
  await textOf(page.getByTestId('detail-status'), status);
}

/** A run's totals as the detail's table shows them (`data-counter` → number). */
export async function runTotals(page: Page): Promise<Record<string, number>> {
  const rows = page.getByTestId('run-totals').locator('tr[data-counter]');
  await rows.first().waitFor();
  const totals: Record<string, number> = {};
  for (const row of await rows.all()) {
    const key = (await row.getAttribute('data-counter')) ?? '';
    totals[key] = Number((await row.locator('td').textContent())?.trim());
  }
  return totals;
}

/** The classes of the graph's node group of top-level state `state`. */
export async function stateClasses(page: Page, state: string): Promise<string[]> {
  const node = page.getByTestId('state-graph').locator(`g${attr('data-state', state)}`);
  return ((await node.getAttribute('class')) ?? '').split(/\s+/).filter((c) => c !== '');
}

/** Waits until the graph's node of `state` has class `className`. */
export async function stateHasClass(page: Page, state: string, className: string): Promise<void> {
  await page
    .getByTestId('state-graph')
    .locator(`g${attr('data-state', state)}.${className}`)
    .waitFor({ state: 'attached' });
}

/**
 * docs/console/<name>.png: the page as it is now at the 1280×800 viewport, or from its top down to
 * the lowest bottom of the `until` elements (a view taller than the viewport). Written by every
 * run, so the docs show the console as the tests leave it.
 */
export async function screenshot(
  page: Page,
  name: string,
  options: { until?: readonly Locator[] } = {},
): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // No focus ring of the last click, no caret, no running transition in the picture.
  await page.evaluate('document.activeElement && document.activeElement.blur()');
  await page.evaluate('window.scrollTo(0, 0)');
  let clip: { x: number; y: number; width: number; height: number } | undefined;
  if (options.until !== undefined) {
    let bottom = 0;
    for (const element of options.until) {
      const box = await element.boundingBox();
      if (box === null) throw new Error(`screenshot ${name}: an element to end at is not shown`);
      bottom = Math.max(bottom, box.y + box.height);
    }
    const viewport = page.viewportSize() ?? { width: 1280, height: 800 };
    clip = { x: 0, y: 0, width: viewport.width, height: Math.ceil(bottom + 16) };
  }
  await page.screenshot({
    path: file,
    animations: 'disabled',
    caret: 'hide',
    ...(clip === undefined ? {} : { fullPage: true, clip }),
  });
  return file;
}
