// The operator console's security in a real browser (docs/console.md "Security"), against
// `txc local serve` as a child process: markup in what it shows (a transaction id, an error
// cause, a run's input) renders as text and runs nothing; state-changing requests need the
// process's token and the console's own origin, so another local web page cannot drive it; and
// the views are reachable by keyboard with a visible focus.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Browser, Page } from 'playwright-core';
import type { ExecutionsAnswer, SessionAnswer } from '../../local/console/contract';
import { CONSOLE_API_PATH, CONSOLE_TOKEN_HEADER } from '../../local/console/contract';
import { type BrowserPage, newPage } from '../support/browser';
import { until } from '../support/poll';
import type { Served } from '../ops/local-serve';
import {
  attr,
  consoleApi,
  goTo,
  openConsole,
  openExecution,
  rowStatus,
  SDK_CREDENTIALS,
  serveWithBrowser,
  textOf,
} from './support';

jest.setTimeout(180_000);

/** What would run if it were taken for markup: each sets window.__xss. */
const SCRIPT = '<script>window.__xss=1</script>';
const IMG = '<img src=x onerror="window.__xss=1">';

let served: Served;
let browser: Browser;
let consoleUrl: string;
let sfn: SFNClient;
const opened: BrowserPage[] = [];

beforeAll(async () => {
  // No schedule; the provider answers after 5 s, so an execution is still RUNNING when stopped.
  ({ served, browser } = await serveWithBrowser([
    '--no-schedule',
    '--transactions',
    '3',
    '--provider-latency-ms',
    '5000',
  ]));
  consoleUrl = served.info.consoleUrl!;
  sfn = new SFNClient({
    endpoint: served.info.stepFunctionsEndpoint,
    region: 'us-east-1',
    credentials: SDK_CREDENTIALS,
  });
});

afterAll(async () => {
  sfn?.destroy();
  await browser?.close();
  await served?.stop();
});

afterEach(async () => {
  for (const { context, pageErrors } of opened.splice(0)) {
    expect(pageErrors).toEqual([]);
    await context.close();
  }
});

async function open(hash?: string): Promise<BrowserPage> {
  const page = await openConsole(browser, consoleUrl, hash);
  opened.push(page);
  return page;
}

const api = <T>(path: string): Promise<T> => consoleApi<T>(consoleUrl, path);

async function executionNames(): Promise<string[]> {
  return (await api<ExecutionsAnswer>('/executions?limit=200')).executions.map((e) => e.name);
}

/** Nothing the page shows has run as script or become an element. */
async function expectNothingRan(page: Page, cspViolations: string[]): Promise<void> {
  expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
  // The one script is the app's bundle; the app shows no images.
  expect(await page.locator('script').count()).toBe(1);
  expect(await page.locator('script:not([src])').count()).toBe(0);
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.locator('[onerror], [onload], [onclick]').count()).toBe(0);
  // Markup taken as such would also have met the Content-Security-Policy.
  expect(cspViolations).toEqual([]);
}

/** A POST to the console API from Node, with these headers (Node's fetch sends an Origin as given). */
async function postFromNode(
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await fetch(new URL(`${CONSOLE_API_PATH}${path}`, consoleUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
}

describe('the operator console in a browser: escaping, the token, the keyboard', () => {
  it('renders markup in a transaction id, an error cause and a run input as text (the XSS cases)', async () => {
    // The execution-name rule refuses "<" outright, so a name cannot carry markup.
    const { stateMachineArn, tables, dynamodbEndpoint } = served.info;
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: '<script>', input: '{}' })),
    ).rejects.toMatchObject({ name: 'InvalidName' });

    // A FAILED transaction whose id and last error are markup, written straight into the store.
    const ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: dynamodbEndpoint,
        region: 'us-east-1',
        credentials: SDK_CREDENTIALS,
      }),
    );
    const now = new Date().toISOString();
    for (const [id, lastError] of [
      [SCRIPT, `PROVIDER_HTTP_400: ${IMG}`],
      [IMG, `PROVIDER_HTTP_400: ${SCRIPT}`],
    ]) {
      await ddb.send(
        new PutCommand({
          TableName: tables.transactions,
          Item: {
            id,
            status: 'FAILED',
            amount: 100,
            currency: 'EUR',
            createdAt: now,
            updatedAt: now,
            attempts: 1,
            lastError,
          },
        }),
      );
    }
    ddb.destroy();

    // A run whose input carries markup: the workflow refuses it, quoting it in the cause.
    const refused = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'xss-input',
        input: JSON.stringify({ transactionIds: [SCRIPT] }),
      }),
    );
    // A stop whose error and cause are markup.
    const stopped = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'xss-stopped', input: '{}' }),
    );
    await sfn.send(
      new StopExecutionCommand({
        executionArn: stopped.executionArn,
        error: '<b>OperatorStop</b>',
        cause: `${SCRIPT}${IMG}`,
      }),
    );
    for (const executionArn of [refused.executionArn, stopped.executionArn]) {
      await until(
        () => sfn.send(new DescribeExecutionCommand({ executionArn })),
        (d) => d.status !== 'RUNNING',
      );
    }

    const { page } = await open();
    const csp: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) csp.push(message.text());
    });

    // The failure cause and the run's input, as text.
    await rowStatus(page, 'xss-input', 'FAILED');
    await openExecution(page, 'xss-input', 'FAILED');
    expect(await textOf(page.getByTestId('failure-cause'), SCRIPT)).toContain(
      `got \\"${SCRIPT}\\"`,
    );
    await page.getByTestId('detail-input').locator('summary').click();
    await textOf(page.getByTestId('detail-input').locator('pre'), SCRIPT);
    for (const summary of await page.getByTestId('history-cause').locator('summary').all()) {
      await summary.click();
    }
    await textOf(page.getByTestId('history-cause').locator('pre'), SCRIPT);
    await expectNothingRan(page, csp);

    // A stop's error and cause, as text.
    await goTo(page, 'executions');
    await rowStatus(page, 'xss-stopped', 'ABORTED');
    await openExecution(page, 'xss-stopped', 'ABORTED');
    await textOf(page.getByTestId('failure-error'), '<b>OperatorStop</b>');
    expect((await page.getByTestId('failure-cause').textContent())?.trim()).toBe(`${SCRIPT}${IMG}`);
    await expectNothingRan(page, csp);

    // The FAILED transactions: ids and reasons as text; the lookup too.
    await goTo(page, 'backlog');
    const row = page.locator(`[data-testid="failed-row"]${attr('data-id', SCRIPT)}`);
    await row.waitFor();
    expect((await row.getByTestId('failed-id').textContent())?.trim()).toBe(SCRIPT);
    expect((await row.getByTestId('failed-reason').textContent())?.trim()).toBe(
      `PROVIDER_HTTP_400: ${IMG}`,
    );
    const other = page.locator(`[data-testid="failed-row"]${attr('data-id', IMG)}`);
    expect((await other.getByTestId('failed-reason').textContent())?.trim()).toBe(
      `PROVIDER_HTTP_400: ${SCRIPT}`,
    );
    await page.getByTestId('lookup-id').fill(SCRIPT);
    await page.getByTestId('lookup-submit').click();
    const item = await textOf(page.getByTestId('lookup-item'), SCRIPT);
    expect(item).toContain(IMG.replace(/"/g, '\\"'));
    // A requeue of them is refused (no valid id), the ids quoted in the error, as text.
    await row.getByTestId('failed-select').check();
    await other.getByTestId('failed-select').check();
    await page.getByTestId('requeue-reason').fill(`${SCRIPT} reason`);
    await page.getByTestId('requeue-button').click();
    const error = await textOf(page.getByTestId('requeue-error'), 'invalid transaction id');
    expect(error).toContain(SCRIPT);
    expect(error).toContain('<img src=x onerror=');
    await expectNothingRan(page, csp);

    // An execution name with markup typed into the form: refused, the error quoting it as text
    // next to the name field (which is marked invalid), and nothing started.
    await goTo(page, 'executions');
    const before = await executionNames();
    await page.getByTestId('start-name').fill(IMG);
    await page.getByTestId('start-submit').click();
    await textOf(page.getByTestId('start-error-name'), '<img');
    expect(await page.getByTestId('start-name').getAttribute('aria-invalid')).toBe('true');
    // Markup as a transaction id: the workflow's schema refuses it (transactionIds[0]), the
    // error shown next to the ids field, the name's error gone.
    await page.getByTestId('start-name').fill('');
    await page.getByTestId('start-ids').fill(SCRIPT);
    await page.getByTestId('start-submit').click();
    expect(await textOf(page.getByTestId('start-error-ids'), SCRIPT)).toContain('transactionIds');
    expect(await page.getByTestId('start-error-name').count()).toBe(0);
    expect(await page.getByTestId('start-name').getAttribute('aria-invalid')).toBeNull();
    await expectNothingRan(page, csp);
    expect(await executionNames()).toEqual(before);
  });

  it('refuses a state-changing request without the token (403), or from another origin, even a plain HTML form', async () => {
    const { page } = await open();
    const session = await api<SessionAnswer>('/session');
    const post = (name: string, headers: Record<string, string>) =>
      page.evaluate(
        async ({ api, name, headers }) => {
          const answer = await fetch(`${api}/executions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ dryRun: true, name }),
          });
          return {
            status: answer.status,
            body: (await answer.json()) as Record<string, unknown>,
          };
        },
        { api: CONSOLE_API_PATH, name, headers },
      );

    // From the console's own page: without the token, refused; a wrong one, refused; with it, done.
    expect(await post('no-token', {})).toMatchObject({
      status: 403,
      body: {
        error: 'ConsoleTokenRequired',
        message: expect.stringMatching(/^token check failed/),
      },
    });
    expect(
      await post('wrong-token', { [CONSOLE_TOKEN_HEADER]: `${session.token}x` }),
    ).toMatchObject({ status: 403, body: { error: 'ConsoleTokenRequired' } });
    expect(await post('with-token', { [CONSOLE_TOKEN_HEADER]: session.token })).toMatchObject({
      status: 200,
      body: { name: 'with-token' },
    });

    // With the token but another Origin (as a page elsewhere would send it): refused.
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:1`]) {
      expect(
        await postFromNode(
          '/executions',
          { origin, [CONSOLE_TOKEN_HEADER]: session.token },
          { dryRun: true, name: 'foreign-origin' },
        ),
      ).toMatchObject({
        status: 403,
        body: {
          error: 'ConsoleTokenRequired',
          message: expect.stringMatching(/^origin check failed/),
        },
      });
    }

    // Another local web page (its own port: another origin) that tries to drive the console.
    const apiUrl = new URL(CONSOLE_API_PATH, consoleUrl).href;
    const formField = `{"dryRun":true,"name":"from-form","pad":"`;
    const evilHtml = `<!doctype html><title>another page</title>
      <form method="POST" action="${apiUrl}/executions" enctype="text/plain">
        <input type="hidden" name='${formField}' value='"}'>
        <button type="submit">go</button>
      </form>`;
    const evil = http.createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(evilHtml);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;
      const other = await newPage(browser);
      opened.push(other);
      await other.page.goto(evilUrl);
      // Its script cannot read the token (no CORS headers), nor send the header (no preflight
      // is granted); a no-cors POST goes out with its Origin, and its answer is withheld
      // (Cross-Origin-Resource-Policy: same-origin).
      const attempts = await other.page.evaluate(
        async ({ api, header }) => {
          const outcome = async (request: () => Promise<Response>) => {
            try {
              const answer = await request();
              return `answer ${answer.status} ${answer.type}`;
            } catch (error) {
              return (error as Error).name;
            }
          };
          return {
            readSession: await outcome(() => fetch(`${api}/session`)),
            withHeader: await outcome(() =>
              fetch(`${api}/executions`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', [header]: 'guessed' },
                body: JSON.stringify({ dryRun: true, name: 'guessed-token' }),
              }),
            ),
            noCors: await outcome(() =>
              fetch(`${api}/executions`, {
                method: 'POST',
                mode: 'no-cors',
                headers: { 'content-type': 'text/plain' },
                body: JSON.stringify({ dryRun: true, name: 'no-cors' }),
              }),
            ),
          };
        },
        { api: apiUrl, header: CONSOLE_TOKEN_HEADER },
      );
      expect(attempts).toEqual({
        readSession: 'TypeError',
        withHeader: 'TypeError',
        noCors: 'TypeError',
      });
      // The plain form: the browser sends it with the other page's Origin and no token.
      const [answer] = await Promise.all([
        other.page.waitForResponse((r) => r.url() === `${apiUrl}/executions`),
        other.page.getByRole('button', { name: 'go' }).click(),
      ]);
      expect(answer.status()).toBe(403);
      expect(await answer.json()).toMatchObject({
        error: 'ConsoleTokenRequired',
        message: expect.stringContaining(`from "${evilUrl.replace(/\/$/, '')}" is refused`),
      });
    } finally {
      await new Promise((resolve) => evil.close(resolve));
    }

    // Only the request with the token started an execution.
    const names = await executionNames();
    expect(names).toContain('with-token');
    for (const name of [
      'no-token',
      'wrong-token',
      'foreign-origin',
      'guessed-token',
      'no-cors',
      'from-form',
    ]) {
      expect([name, names.includes(name)]).toEqual([name, false]);
    }
  });

  it('is usable by keyboard: the main views are reached by Tab, with a visible focus', async () => {
    const { page } = await open();
    /** Tabs until the element with `testid` has the focus (at most `max` presses). */
    const tabTo = async (testid: string, max = 40): Promise<void> => {
      for (let i = 0; i < max; i += 1) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate('document.activeElement?.dataset?.testid ?? null');
        if (focused === testid) {
          // The focus is visible: :focus-visible applies, and draws an outline.
          const ring = (await page.evaluate(
            `(() => { const e = document.activeElement; const s = getComputedStyle(e);
              return [e.matches(':focus-visible'), s.outlineStyle, s.outlineWidth]; })()`,
          )) as [boolean, string, string];
          expect([testid, ring[0], ring[1] !== 'none' && ring[2] !== '0px']).toEqual([
            testid,
            true,
            true,
          ]);
          return;
        }
      }
      throw new Error(`${testid} was not reached by ${max} presses of Tab`);
    };
    const views = [
      ['backlog', 'lookup-id'],
      ['schedule', null],
      ['executions', 'start-dry-run'],
    ] as const;
    for (const [view, control] of views) {
      // From the top of a freshly loaded page: Tab to the view's link, Enter, Tab into the view.
      await page.goto('about:blank');
      await page.goto(`${consoleUrl}#/executions`);
      await page.getByTestId('executions-view').waitFor();
      await tabTo(`nav-${view}`);
      await page.keyboard.press('Enter');
      await page.getByTestId(`${view}-view`).waitFor();
      expect(new URL(page.url()).hash).toBe(`#/${view}`);
      if (control !== null) await tabTo(control);
    }
    // The skip link is the first stop and moves the focus to the main content.
    await page.goto('about:blank');
    await page.goto(`${consoleUrl}#/backlog`);
    await page.getByTestId('backlog-view').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.className')).toBe('skip-link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
  });
});
