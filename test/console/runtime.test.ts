// The operator console in a real browser against `txc local serve` (a child process) with its
// schedule and a data dir: pause / resume of the schedule from the console, checked through the
// endpoint's target description and `txc schedule show`; and a restart of the runtime on the same
// port under an open page — the header says reconnecting, then connected to the new process, the
// data is still there and an action works.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import {
  LOCAL_TARGET_PATH,
  type LocalTargetDescription,
} from '../../local/aws/local-endpoint-contract';
import { serve, type Served, txc } from '../ops/local-serve';
import {
  connectionIs,
  executionRow,
  goTo,
  openConsole,
  rowStatus,
  screenshot,
  serveWithBrowser,
  startFromForm,
  textOf,
} from './support';

jest.setTimeout(180_000);

let dataDir: string;
let served: Served;
let browser: Browser;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-console-'));
  // The stack's schedule runs (no --no-schedule); the store and schedule state live in dataDir.
  ({ served, browser } = await serveWithBrowser(['--data-dir', dataDir]));
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The schedule's state as the endpoint describes it (what `txc --local` reads). */
async function targetScheduleState(): Promise<string | undefined> {
  const answer = await fetch(`${served.info.stepFunctionsEndpoint}${LOCAL_TARGET_PATH}`);
  return ((await answer.json()) as LocalTargetDescription).schedule?.state;
}

/** `txc schedule show --json`'s state. */
async function txcScheduleState(): Promise<string> {
  const shown = await txc(served.info.stepFunctionsEndpoint, ['schedule', 'show', '--json']);
  expect(shown.code).toBe(0);
  return (JSON.parse(shown.stdout) as { state: string }).state;
}

describe('the operator console in a browser: the schedule, and a restart of the runtime', () => {
  it('schedule pause and resume from the console change the schedule', async () => {
    const { page, pageErrors } = await openConsole(browser, served.info.consoleUrl!, '#/schedule');
    await textOf(page.getByTestId('schedule-state'), 'ENABLED');
    expect(await page.getByTestId('schedule-next').locator('time').getAttribute('datetime')).toBe(
      served.info.schedule?.nextRun,
    );
    expect(await page.getByTestId('schedule-resume').isDisabled()).toBe(true);

    await page.getByTestId('schedule-pause').click();
    await textOf(page.getByTestId('schedule-result'), 'Schedule paused.');
    await textOf(page.getByTestId('schedule-state'), 'DISABLED');
    await textOf(page.getByTestId('schedule-next'), '(paused)');
    expect(await targetScheduleState()).toBe('DISABLED');
    expect(await txcScheduleState()).toBe('DISABLED');

    await page.getByTestId('schedule-resume').click();
    await textOf(page.getByTestId('schedule-result'), 'Schedule resumed.');
    await textOf(page.getByTestId('schedule-state'), 'ENABLED');
    await page.getByTestId('schedule-next').locator('time').waitFor();
    expect(await targetScheduleState()).toBe('ENABLED');
    expect(await txcScheduleState()).toBe('ENABLED');
    await screenshot(page, 'schedule');
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });

  it('keeps working through a restart of the runtime: reconnecting, connected again, an action works', async () => {
    const { consoleUrl } = served.info;
    const { page, pageErrors } = await openConsole(browser, consoleUrl!);
    await startFromForm(page, { dryRun: true, name: 'before-restart' });
    await rowStatus(page, 'before-restart', 'SUCCEEDED');
    const startedAt = await page.getByTestId('runtime-started-at').getAttribute('datetime');
    await page.evaluate('window.__notReloaded = true');

    // The runtime goes away: the page says so and keeps what it showed.
    await served.stop();
    await connectionIs(page, 'reconnecting');
    expect(await executionRow(page, 'before-restart').count()).toBe(1);

    // The same port and data dir: the page finds the new process by itself.
    const port = new URL(served.info.stepFunctionsEndpoint).port;
    served = await serve(['--port', port, '--data-dir', dataDir]);
    expect(served.info.consoleUrl).toBe(consoleUrl);
    expect(served.info.restart?.reopened).toBe(true);
    await connectionIs(page, 'connected');
    await page.getByTestId('runtime-restarted').waitFor();
    expect(await page.getByTestId('runtime-started-at').getAttribute('datetime')).not.toBe(
      startedAt,
    );

    // The data survived, and an action (a POST with the new process's token) works.
    await rowStatus(page, 'before-restart', 'SUCCEEDED');
    await startFromForm(page, { dryRun: true, name: 'after-restart' });
    await rowStatus(page, 'after-restart', 'SUCCEEDED');
    await goTo(page, 'schedule');
    await textOf(page.getByTestId('schedule-state'), 'ENABLED');
    expect(await page.evaluate('window.__notReloaded')).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.context().close();
  });
});
