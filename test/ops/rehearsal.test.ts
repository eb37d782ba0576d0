// The "provider down" rehearsal of docs/runbook.md, run as written: the commands are read from the
// document, terminal 1's `local serve` is started (on a free port, in a temporary data dir instead
// of /tmp/txc-rehearsal), and terminal 2's commands run one after the other through a shell, with
// `npm run txc --` as the `node bin/txc.js` it stands for (package.json) and $TXC_ENDPOINT naming the
// served endpoint. A `# exit N` comment is the exit code the command must give (else 0). `sleep N`
// waits until the circuit breaker's retry time instead, after checking that N seconds suffice.
// Then the state the rehearsal promises: nothing FAILED, nothing requeued, the backlog confirmed.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import { BREAKER_KEY, toBreaker } from '../../lambdas/adapters/dynamo-provider-breaker';
import { githubAnchors } from '../support/markdown';
import { ROOT, serve, type Served } from './local-serve';

const RUNBOOK = fs.readFileSync(path.join(ROOT, 'docs', 'runbook.md'), 'utf8');
const SECTION = 'Rehearsal: provider down';
const DOC_DATA_DIR = '/tmp/txc-rehearsal';

/** The ```sh blocks of the section, each as its lines. */
function shellBlocks(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`### ${heading}\n`);
  if (start < 0) throw new Error(`docs/runbook.md has no section "${heading}"`);
  const rest = markdown.slice(start + heading.length + 5);
  const end = rest.search(/^#{1,3} /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    m[1].split('\n').filter((line) => line.trim() !== ''),
  );
}

/** A line of terminal 2: the command, and what its comment says. */
interface Step {
  line: string;
  command: string;
  comment: string;
  exit: number;
}

function stepOf(line: string): Step {
  const at = line.search(/\s+# /);
  const command = (at < 0 ? line : line.slice(0, at)).trim();
  const comment = at < 0 ? '' : line.slice(at).replace(/^\s+# /, '');
  const exit = /^exit (\d+)/.exec(comment)?.[1];
  return { line, command, comment, exit: exit === undefined ? 0 : Number(exit) };
}

interface Ran {
  step: Step;
  code: number | null;
  stdout: string;
  stderr: string;
}

function sh(command: string, env: NodeJS.ProcessEnv): Promise<Omit<Ran, 'step'>> {
  const child = spawn('sh', ['-c', command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe(`docs/runbook.md, "${SECTION}"`, () => {
  const blocks = shellBlocks(RUNBOOK, SECTION);
  let tmp: string;
  let served: Served | undefined;
  let ddb: DynamoDBDocumentClient | undefined;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'txc-rehearsal-test-'));
  });
  afterAll(async () => {
    ddb?.destroy();
    await served?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('has its two terminals, and the provider-unavailable entry links to it', () => {
    const anchor = githubAnchors([SECTION])[0];
    expect(RUNBOOK).toContain(`](#${anchor})`);
    expect(blocks).toHaveLength(2);
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.txc).toBe(
      'node bin/txc.js',
    );
  });

  it('works offline as written: the outage stops runs without burning attempts, the next run after recovery drains the backlog', async () => {
    const [terminal1, terminal2] = blocks;
    const dataDir = path.join(tmp, 'data');
    // Terminal 1: a fresh data dir, then the endpoint.
    expect(terminal1).toEqual([
      `rm -rf ${DOC_DATA_DIR}`,
      expect.stringMatching(/^npm run txc -- local serve /),
    ]);
    const serveArgs = terminal1[1]
      .replace(/^npm run txc -- local serve /, '')
      .split(/\s+/)
      .map((arg) => (arg === DOC_DATA_DIR ? dataDir : arg));
    expect(serveArgs).toContain(dataDir);
    const seeded = Number(serveArgs[serveArgs.indexOf('--transactions') + 1]);
    expect(seeded).toBeGreaterThan(1000);
    served = await serve(serveArgs);
    const endpoint = served.info.stepFunctionsEndpoint;
    ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: served.info.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
    const client = ddb;
    const breaker = async () =>
      toBreaker(
        (
          await client.send(
            new GetCommand({
              TableName: served!.info.tables.runs,
              Key: BREAKER_KEY,
              ConsistentRead: true,
            }),
          )
        ).Item,
      );

    // Terminal 2, line by line.
    const env = { ...process.env, TXC_ENDPOINT: endpoint, FORCE_COLOR: '0' };
    const ran: Ran[] = [];
    for (const step of terminal2.map(stepOf)) {
      const sleep = /^sleep (\d+)$/.exec(step.command);
      if (sleep !== null) {
        // The breaker's retry time is within the written wait; wait for it (not the whole of it).
        const { retryAt } = await breaker();
        expect(retryAt).toBeDefined();
        const left = Date.parse(retryAt!) - Date.now();
        expect(left).toBeLessThanOrEqual(Number(sleep[1]) * 1000);
        if (left > 0) await new Promise((resolve) => setTimeout(resolve, left + 100));
        continue;
      }
      expect(step.command).toMatch(/^npm run txc -- .* --local$/);
      const result = await sh(step.command.replace(/^npm run txc -- /, 'node bin/txc.js '), env);
      if (result.code !== step.exit) {
        throw new Error(
          `"${step.line}" exited ${result.code}, the rehearsal says ${step.exit}:\n${result.stdout}\n${result.stderr}`,
        );
      }
      ran.push({ step, ...result });
    }

    const outputs = (pattern: RegExp) =>
      ran.filter((r) => pattern.test(r.step.command)).map((r) => r.stdout);
    const starts = outputs(/ start --wait /);
    expect(starts).toHaveLength(3);
    // The first run read a page (dev's 8,000 hold the whole backlog), the breaker opened, the page
    // was left untouched.
    expect(starts[0]).toMatch(/error: +ProviderUnavailable: payment provider unavailable/);
    expect(starts[0]).toMatch(new RegExp(`^unavailable: +${seeded}$`, 'm'));
    expect(starts[0]).toMatch(/^failed: +0$/m);
    // The second stopped before reading anything.
    expect(starts[1]).toMatch(/error: +ProviderUnavailable/);
    expect(starts[1]).toMatch(/^fetched: +0$/m);
    // After the recovery: everything, in one run.
    expect(starts[2]).toMatch(/^status: +SUCCEEDED$/m);
    expect(starts[2]).toMatch(new RegExp(`^fetched: +${seeded}$`, 'm'));
    expect(starts[2]).toMatch(/^failed: +0$/m);
    expect(starts[2]).toMatch(/^unavailable: +0$/m);

    const doctors = outputs(/ doctor /);
    expect(doctors[0]).toMatch(/^warn {2}provider breaker {4}OPEN since \S+: HTTP 503 ×/m);
    expect(doctors[1]).toMatch(
      /^ok {4}provider breaker {4}closed: runs call the provider \(last outage ended /m,
    );
    const [runs] = outputs(/ runs /);
    expect(runs.match(/│ PROVIDER_ +│/g)).toHaveLength(2);
    const [metrics] = outputs(/ local metrics /);
    expect(metrics).toMatch(/RunsProviderUnavailable/);
    // Its row counts the two stopped runs and is over the alarm's threshold.
    expect(metrics).toMatch(/^│ RunsProviderUnavailable +│ 2 +│ 2 +│ provider- +│ YES: 2 +│$/m);
    for (const failed of outputs(/ failed /)) expect(failed).toMatch(/no FAILED transactions/);

    // The store: every transaction CONFIRMED or REJECTED, never requeued, one attempt each.
    const items: Record<string, unknown>[] = [];
    for await (const page of paginateScan(
      { client },
      { TableName: served.info.tables.transactions, ConsistentRead: true },
    )) {
      items.push(...(page.Items ?? []));
    }
    expect(items).toHaveLength(seeded);
    expect(items.filter((t) => t.status !== 'CONFIRMED' && t.status !== 'REJECTED')).toEqual([]);
    expect(items.filter((t) => t.requeueCount !== undefined)).toEqual([]);
    expect(new Set(items.map((t) => t.attempts))).toEqual(new Set([1]));
    expect((await breaker()).state).toBe('CLOSED');
  }, 240_000);
});
