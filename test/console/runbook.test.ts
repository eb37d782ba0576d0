// The operator console in a real browser (the system Chromium through playwright-core) against
// `txc local serve` as a child process: the runbook's steps by pointing and clicking — a dry run
// from the form, followed live; provider faults (wrong credentials: a failing Map Run; permanent
// errors: FAILED transactions) switched with `txc local provider` as on the day; requeue from
// the console with its required reason; a new run that confirms them. Screenshots of the views
// go to docs/console/ (docs/console.md shows them).
import type { Browser, Page } from 'playwright-core';
import { STATE } from '../../lambdas/contracts';
import type {
  BacklogAnswer,
  ExecutionDetail,
  ExecutionsAnswer,
  FailedAnswer,
  SessionAnswer,
} from '../../local/console/contract';
import { CONSOLE_API_PATH, CONSOLE_TOKEN_HEADER } from '../../local/console/contract';
import { type Served, txc } from '../ops/local-serve';
import {
  attr,
  consoleApi,
  goTo,
  openConsole,
  openExecution,
  rowStatus,
  runTotals,
  screenshot,
  serveWithBrowser,
  startFromForm,
  stateClasses,
  stateHasClass,
  textOf,
} from './support';

jest.setTimeout(180_000);

/** Enough PENDING transactions that a dry run lasts about a second (the list shows it RUNNING). */
const TRANSACTIONS = 1000;
/** Transactions the wrong-credentials run takes (Max items): its Map Run fails on all of them. */
const WRONG_CREDENTIALS_ITEMS = 20;
/** Transactions the run under permanent errors takes (Max items); the rest stays PENDING. */
const PERMANENT_ERRORS_ITEMS = 200;
const REQUEUE_REASON = 'provider fixed the permanent errors (ticket 4711)';

let served: Served;
let browser: Browser;
let page: Page;
let pageErrors: Error[];
let consoleUrl: string;
let endpoint: string;

beforeAll(async () => {
  // No schedule (only the test starts runs); no random rejections: the provider refuses 5% of
  // the transactions for good (drawn per id from the seed), the rest it confirms.
  ({ served, browser } = await serveWithBrowser([
    '--no-schedule',
    '--transactions',
    String(TRANSACTIONS),
    '--provider-latency-ms',
    '0',
    '--rejection-rate',
    '0',
    '--permanent-error-rate',
    '0.05',
  ]));
  consoleUrl = served.info.consoleUrl!;
  endpoint = served.info.stepFunctionsEndpoint;
  ({ page, pageErrors } = await openConsole(browser, consoleUrl));
  // Set once: still there at the end means the page was never reloaded.
  await page.evaluate('window.__notReloaded = true');
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

const api = <T>(path: string): Promise<T> => consoleApi<T>(consoleUrl, path);

/** Waits until the backlog view's pending total is the API's (nothing runs meanwhile). */
async function backlogShows(): Promise<void> {
  const { total } = await api<BacklogAnswer>('/backlog');
  expect(total).toBeGreaterThan(0);
  await textOf(page.getByTestId('backlog-total'), new RegExp(`^\\s*${total}\\s*$`));
  await page.getByTestId('shard-row').first().waitFor();
}

async function provider(...args: string[]): Promise<void> {
  const result = await txc(endpoint, ['local', 'provider', ...args]);
  expect(result).toMatchObject({ code: 0 });
}

describe('the operator console, the runbook in a browser', () => {
  it('start a dry run from the form and watch it succeed', async () => {
    const name = await startFromForm(page, { dryRun: true, name: 'dry-run-1' });
    // Live: the row appears RUNNING and turns SUCCEEDED, the page never reloaded.
    await rowStatus(page, name, 'RUNNING');
    const row = await rowStatus(page, name, 'SUCCEEDED');
    await textOf(row.getByTestId('execution-totals'), `would process ${TRANSACTIONS}`);
    expect(await page.evaluate('window.__notReloaded')).toBe(true);

    await openExecution(page, name, 'SUCCEEDED');
    // The graph: exactly the states the execution entered are marked visited.
    await stateHasClass(page, STATE.Succeeded, 'state-visited');
    const detail = await api<ExecutionDetail>(`/executions/${name}`);
    expect(detail.visited).toEqual(
      expect.arrayContaining([STATE.StartRun, STATE.FetchPage, STATE.ConfirmPage, STATE.Succeeded]),
    );
    const graphStates = await page
      .getByTestId('state-graph')
      .locator('g[data-state]')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-state') ?? ''));
    expect(graphStates.length).toBeGreaterThan(5);
    for (const state of graphStates) {
      const classes = await stateClasses(page, state);
      expect([state, classes.includes('state-visited')]).toEqual([
        state,
        detail.visited.includes(state),
      ]);
      expect([state, classes.includes('state-failed')]).toEqual([state, false]);
    }
    // The run record: a dry run that would process the whole backlog, and its Map Run.
    const record = page.getByTestId('run-record');
    await textOf(record.getByTestId('run-status'), 'SUCCEEDED');
    expect((await record.getByTestId('run-dry-run').textContent())?.trim()).toBe('yes');
    expect(await runTotals(page)).toMatchObject({
      fetched: TRANSACTIONS,
      wouldProcess: TRANSACTIONS,
      confirmed: 0,
      failed: 0,
    });
    expect(await page.getByTestId('lock').textContent()).toContain('free');
    const mapRun = page.locator(`[data-testid="map-run"]${attr('data-status', 'SUCCEEDED')}`);
    await textOf(mapRun.getByTestId('map-run-items-text'), /^(\d+) of \1 done/);
    await screenshot(page, 'execution-detail', {
      until: [page.getByTestId('run-record'), page.getByTestId('map-runs')],
    });

    // The history events: filtered by type, a payload opened.
    const events = page.getByTestId('history-event');
    await page.getByTestId('history-filter').fill('MapRun');
    await page.locator('[data-testid="history-event"][data-type="MapRunSucceeded"]').waitFor();
    const types = await events.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
    expect(types).toEqual(['MapRunSucceeded', 'MapRunStarted']);
    await page.getByTestId('history-filter').fill('');
    await page.locator('[data-testid="history-event"][data-type="ExecutionStarted"]').waitFor();
    const started = page.locator('[data-testid="history-event"][data-type="ExecutionStarted"]');
    await started.getByTestId('history-payload').locator('summary').click();
    await textOf(started.getByTestId('history-payload').locator('pre'), '"dryRun": true');
    await goTo(page, 'executions');
  });

  it('a run with provider faults shows a failing Map Run and FAILED transactions', async () => {
    // Wrong credentials: every provider call answers 401, every batch fails with SystemicFault.
    await provider('auth-failure', '401');
    const wrong = await startFromForm(page, {
      maxItems: String(WRONG_CREDENTIALS_ITEMS),
      name: 'wrong-credentials',
    });
    await rowStatus(page, wrong, 'FAILED');
    await openExecution(page, wrong, 'FAILED');
    await textOf(page.getByTestId('failure-error'), 'States.ExceedToleratedFailureThreshold');
    await textOf(page.getByTestId('failure-cause'), 'SystemicFault');
    const failedMapRun = page.locator(`[data-testid="map-run"]${attr('data-status', 'FAILED')}`);
    await textOf(
      failedMapRun.getByTestId('map-run-items-text'),
      `${WRONG_CREDENTIALS_ITEMS} of ${WRONG_CREDENTIALS_ITEMS} done (0 succeeded, ${WRONG_CREDENTIALS_ITEMS} failed)`,
    );
    await textOf(failedMapRun.getByTestId('map-run-executions-text'), /\(0 succeeded, [1-9]/);
    // Where it failed is marked on the graph: the Map state visited, the Fail state failed.
    await stateHasClass(page, STATE.Failed, 'state-failed');
    expect(await stateClasses(page, STATE.ConfirmPage)).toContain('state-visited');
    expect(await stateClasses(page, STATE.Succeeded)).not.toContain('state-visited');
    await screenshot(page, 'execution-failed-map-run', {
      until: [page.getByTestId('run-record'), page.getByTestId('map-runs')],
    });

    // Credentials fixed; the provider still refuses 5% of the transactions for good.
    await provider('auth-failure', 'off');
    await goTo(page, 'executions');
    const faults = await startFromForm(page, {
      maxItems: String(PERMANENT_ERRORS_ITEMS),
      name: 'permanent-errors',
    });
    const row = await rowStatus(page, faults, 'SUCCEEDED');
    // (On a loaded machine a batch can run out of time: the rest is deferred, still PENDING.)
    const totals = await textOf(row.getByTestId('execution-totals'), /failed [1-9]/);
    expect(totals).toContain(`fetched ${PERMANENT_ERRORS_ITEMS}`);
    expect(totals).toMatch(/confirmed [1-9]/);
    const failedCount = Number(/failed (\d+)/.exec(totals)?.[1]);

    // The backlog view: what is still PENDING, and the FAILED ones with the provider's reason.
    await goTo(page, 'backlog');
    await backlogShows();
    await page
      .getByTestId('failed-row')
      .nth(failedCount - 1)
      .waitFor();
    expect(await page.getByTestId('failed-row').count()).toBe(failedCount);
    const reasons = await page.getByTestId('failed-reason').allTextContents();
    for (const reason of reasons) expect(reason).toMatch(/PROVIDER_HTTP_400: INVALID_TRANSACTION/);
    expect(await page.getByTestId('failed-attempts').first().textContent()).toMatch(/\d/);
    const listed = await api<FailedAnswer>('/failed');
    expect(
      (
        await page
          .getByTestId('failed-row')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')))
      ).sort(),
    ).toEqual(listed.items.map((i) => i.id).sort());
    await screenshot(page, 'backlog', { until: [page.getByTestId('failed')] });
  });

  it('requeue from the console (a reason is required), then a new run confirms them', async () => {
    await provider('recover');
    const ids = (await api<FailedAnswer>('/failed')).items.map((i) => i.id);
    expect(ids.length).toBeGreaterThan(0);
    await page.getByTestId('failed-select-all').check();
    await textOf(page.getByTestId('requeue-button'), `Requeue ${ids.length} selected`);

    // Without a reason: refused, the error shown against the reason field; nothing requeued.
    await page.getByTestId('requeue-reason').fill('');
    await page.getByTestId('requeue-button').click();
    await textOf(page.getByTestId('requeue-error-reason'), 'A reason is required');
    // The server refuses it too (the same request the app would send, with the token).
    const session = await api<SessionAnswer>('/session');
    const refused = await page.evaluate(
      async ({ url, header, token, id }) => {
        const answer = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [header]: token },
          body: JSON.stringify({ ids: [id], reason: '  ' }),
        });
        return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
      },
      {
        url: `${CONSOLE_API_PATH}/requeue`,
        header: CONSOLE_TOKEN_HEADER,
        token: session.token,
        id: ids[0],
      },
    );
    expect(refused).toMatchObject({ status: 400, body: { field: 'reason' } });
    expect((await api<FailedAnswer>('/failed')).items).toHaveLength(ids.length);

    // With a reason: every selected one back to PENDING.
    await page.getByTestId('requeue-reason').fill(REQUEUE_REASON);
    await page.getByTestId('requeue-button').click();
    await textOf(
      page.getByTestId('requeue-summary'),
      `requeued ${ids.length}, skipped 0, errors 0`,
    );
    await page.getByTestId('failed-empty').waitFor();
    await backlogShows();

    // A new run of these ids from the form confirms them. The provider answers slowly for a
    // while (as it might on the day), so the run is seen live: its detail marks the Map state
    // current and shows the Map Run running, then the run succeeds, all without a reload.
    await provider('slow', '3s', '--for', '6s');
    await goTo(page, 'executions');
    const rerun = await startFromForm(page, { ids: ids.join(','), name: 'after-requeue' });
    await page.getByTestId('start-result-link').click();
    await page.getByTestId('execution-detail').waitFor();
    await page.locator(`[data-testid="map-run"]${attr('data-status', 'RUNNING')}`).waitFor();
    await stateHasClass(page, STATE.ConfirmPage, 'state-current');
    expect(await stateClasses(page, STATE.StartRun)).toContain('state-visited');
    await textOf(page.getByTestId('detail-status'), 'SUCCEEDED');
    await stateHasClass(page, STATE.Succeeded, 'state-visited');
    expect(await stateClasses(page, STATE.ConfirmPage)).not.toContain('state-current');
    expect(await runTotals(page)).toMatchObject({ confirmed: ids.length, failed: 0 });
    await textOf(
      page.getByTestId('map-run-items-text'),
      `${ids.length} of ${ids.length} done (${ids.length} succeeded, 0 failed)`,
    );
    await goTo(page, 'executions');
    const row = await rowStatus(page, rerun, 'SUCCEEDED');
    await textOf(row.getByTestId('execution-totals'), `confirmed ${ids.length}`);
    expect(await row.getByTestId('execution-totals').textContent()).not.toMatch(/failed/);
    await screenshot(page, 'executions');
    // Newest first; the status filter.
    const names = () =>
      page
        .getByTestId('execution-row')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')));
    expect(await names()).toEqual([rerun, 'permanent-errors', 'wrong-credentials', 'dry-run-1']);
    await page.getByTestId('status-filter').selectOption('FAILED');
    await page.locator('[data-testid="execution-row"][data-status="SUCCEEDED"]').first().waitFor({
      state: 'detached',
    });
    await rowStatus(page, 'wrong-credentials', 'FAILED');
    expect(await names()).toEqual(['wrong-credentials']);
    await page.getByTestId('status-filter').selectOption('');
    // Every status the filter offers is one the server lists by (it refuses any other: 400).
    const offered = await page
      .getByTestId('status-filter')
      .locator('option')
      .evaluateAll((options) => options.map((o) => o.getAttribute('value') ?? ''));
    expect(offered).toEqual(['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
    for (const status of offered.filter((s) => s !== '')) {
      await api<ExecutionsAnswer>(`/executions?status=${status}`);
    }

    // Each is CONFIRMED, with the requeue's reason kept.
    await goTo(page, 'backlog');
    await page.getByTestId('failed-empty').waitFor();
    await backlogShows();
    await page.getByTestId('lookup-id').fill(ids[0]);
    await page.getByTestId('lookup-submit').click();
    const item = await textOf(page.getByTestId('lookup-item'), '"status": "CONFIRMED"');
    expect(item).toContain(`"requeueReason": "${REQUEUE_REASON}"`);
    expect(item).toContain(`"id": "${ids[0]}"`);
    await page.getByTestId('lookup-id').fill('no-such-transaction');
    await page.getByTestId('lookup-submit').click();
    await page.getByTestId('lookup-none').waitFor();

    // Everything happened on the page loaded at the start.
    expect(await page.evaluate('window.__notReloaded')).toBe(true);
  });
});
