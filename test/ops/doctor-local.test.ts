// `txc doctor --local` as a user runs it: `txc local serve` and `txc doctor` as child processes.
// A fresh endpoint is all ok; then the failures a user can meet offline, each provoked for real:
// a crashed run's lock (an expired LOCK item), a backlog older than the freshness SLO, the
// provider down (`serve --provider-down`), and no endpoint at all.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { pendingShardFor } from '../../lambdas/domain/pending-shard';
import { BREAKER_KEY } from '../../lambdas/adapters/dynamo-provider-breaker';
import type { DoctorReport } from '../../ops/commands/doctor';
import { dev } from '../support/stages';
import { serve, type Served, txc } from './local-serve';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const LOCK_KEY = { pk: 'LOCK', sk: 'confirmation' };

/** The human line of a check. */
function lineOf(out: string, name: string): string {
  const found = out.split('\n').find((l) => new RegExp(`^\\w+ +${name} {2,}`).test(l));
  if (found === undefined) throw new Error(`no line for ${name} in:\n${out}`);
  return found;
}

describe('txc doctor --local', () => {
  let healthy: Served;
  let providerDown: Served;
  let ddb: DynamoDBDocumentClient;

  beforeAll(async () => {
    // Both at once: each synthesizes the stack (seconds of CPU).
    [healthy, providerDown] = await Promise.all([
      serve([]),
      serve(['--no-schedule', '--provider-down']),
    ]);
    ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: healthy.info.dynamodbEndpoint,
        region: 'us-east-1',
        credentials,
      }),
    );
  });
  afterAll(async () => {
    ddb?.destroy();
    await Promise.all([healthy?.stop(), providerDown?.stop()]);
  });

  it('a fresh `txc local serve`: every check ok, exit 0', async () => {
    const endpoint = healthy.info.stepFunctionsEndpoint;
    const run = await txc(endpoint, ['doctor']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const port = (url: string) => new URL(url).port;
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toBe(
      `ok    stack               local endpoint ${endpoint} answers: state machine txconfirm-dev, DynamoDB ${healthy.info.dynamodbEndpoint}`,
    );
    expect(lines[1]).toMatch(
      /^ok {4}provider secret {5}secret \S+ has a current value \(version 00000000…, last changed \S+; the value was not read\)$/,
    );
    expect(lines[2]).toMatch(
      new RegExp(
        `^ok {4}provider endpoint {3}loopback simulator, no TLS: 127\\.0\\.0\\.1:${port(healthy.info.providerUrl)} accepts connections \\(\\d+ ms, timeout 10000 ms\\)$`,
      ),
    );
    expect(lines[3]).toBe('ok    provider breaker    closed: runs call the provider');
    expect(lines[4]).toMatch(
      /^ok {4}schedule {12}ENABLED, rate\(5 minutes\), next fire \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    expect(lines.slice(5, 9)).toEqual([
      'ok    alarm routing       not applicable offline (the local runtime raises no alarms)',
      'ok    run lock            free',
      'ok    dead-letter queues  not applicable offline (the local runtime has no queues)',
      'ok    backlog             no PENDING transactions (SLO 900 s)',
    ]);
    expect(lines[9]).toBe(`OK: 9 ok, 0 warn, 0 fail — local endpoint ${endpoint}`);
  });

  it('a crashed run’s lock and a backlog older than the SLO: both fail with what to do, exit 1', async () => {
    const endpoint = healthy.info.stepFunctionsEndpoint;
    const { tables } = healthy.info;
    const now = Date.now();
    // What a run killed mid-page leaves: the lock, its lease run out half an hour ago.
    await ddb.send(
      new PutCommand({
        TableName: tables.runs,
        Item: {
          ...LOCK_KEY,
          runId: '20240502T100000Z-crashed',
          executionArn: 'arn:aws:states:us-east-1:000000000000:execution:txconfirm-dev:crashed',
          acquiredAt: new Date(now - 3_600_000).toISOString(),
          expiresAt: new Date(now - 1_800_000).toISOString(),
        },
      }),
    );
    // A transaction an upstream writer put in 30 minutes ago (twice the dev SLO of 900 s).
    await ddb.send(
      new PutCommand({
        TableName: tables.transactions,
        Item: {
          id: 'stale-1',
          status: 'PENDING',
          amount: 1200,
          currency: 'EUR',
          createdAt: new Date(now - 1_800_000).toISOString(),
          attempts: 0,
          pendingShard: pendingShardFor('stale-1', dev.shardCount),
        },
      }),
    );
    try {
      const run = await txc(endpoint, ['doctor']);
      expect(run.code).toBe(1);
      expect(lineOf(run.stdout, 'run lock')).toMatch(
        new RegExp(
          '^fail  run lock {12}stuck since \\S+Z \\(30m \\d+s ago\\), held by run 20240502T100000Z-crashed, execution crashed: its run ended without releasing it' +
            ` — the next run takes it over; see docs/runbook\\.md#stuck-run-lock \\(\`npm run txc -- status crashed --local --endpoint ${endpoint}\` shows the holder\\)$`,
        ),
      );
      expect(lineOf(run.stdout, 'backlog')).toMatch(
        /^fail {2}backlog {13}1 pending, oldest stale-1 is 30m \d+s old \(created \S+\): over the SLO 900 s — see docs\/runbook\.md#oldest-pending-age \(`npm run txc -- pending --local --endpoint \S+`\)$/,
      );
      expect(run.stdout).toMatch(/^FAIL: 7 ok, 0 warn, 2 fail — local endpoint \S+$/m);

      // --json says the same.
      const asJson = await txc(endpoint, ['doctor', '--json']);
      expect(asJson.code).toBe(1);
      const report = JSON.parse(asJson.stdout) as DoctorReport;
      expect(report.target).toEqual({ kind: 'local', label: `local endpoint ${endpoint}` });
      expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual([
        'run lock',
        'backlog',
      ]);
      expect(report.summary).toEqual({ status: 'fail', ok: 7, warn: 0, fail: 2 });
    } finally {
      await ddb.send(new DeleteCommand({ TableName: tables.runs, Key: LOCK_KEY }));
      await ddb.send(new DeleteCommand({ TableName: tables.transactions, Key: { id: 'stale-1' } }));
    }
  });

  it('an open provider circuit breaker: warn with its evidence and retry time, exit 0', async () => {
    const endpoint = healthy.info.stepFunctionsEndpoint;
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    // What a run that saw the provider down leaves (lambdas/adapters/dynamo-provider-breaker.ts).
    await ddb.send(
      new PutCommand({
        TableName: healthy.info.tables.runs,
        Item: {
          ...BREAKER_KEY,
          state: 'OPEN',
          openedAt: iso(now - 60_000),
          retryAt: iso(now + 120_000),
          reason: 'HTTP 503 ×20 of 20 calls',
          opens: 2,
        },
      }),
    );
    try {
      const run = await txc(endpoint, ['doctor']);
      expect(run.code).toBe(0);
      expect(lineOf(run.stdout, 'provider breaker')).toMatch(
        /^warn {2}provider breaker {4}OPEN since \S+Z: HTTP 503 ×20 of 20 calls; runs stop with ProviderUnavailable until one probes it, after \S+Z \(in 1m \d+s\) — nothing to requeue: see docs\/runbook\.md#provider-unavailable$/,
      );
      expect(run.stdout).toMatch(/^WARN: 8 ok, 1 warn, 0 fail — /m);
    } finally {
      await ddb.send(new DeleteCommand({ TableName: healthy.info.tables.runs, Key: BREAKER_KEY }));
    }
  });

  it('the provider down (`serve --provider-down`) and no schedule: fail and warn, exit 1', async () => {
    const endpoint = providerDown.info.stepFunctionsEndpoint;
    const run = await txc(endpoint, ['doctor']);
    expect(run.code).toBe(1);
    expect(lineOf(run.stdout, 'provider endpoint')).toBe(
      `fail  provider endpoint   http://127.0.0.1:${new URL(providerDown.info.providerUrl).port} does not accept connections (ECONNREFUSED)` +
        ` — the simulated provider is down (an outage rehearsal, or served with --provider-down): \`npm run txc -- local provider recover --local --endpoint ${endpoint}\` brings it back`,
    );
    expect(lineOf(run.stdout, 'schedule')).toBe(
      'warn  schedule            no schedule (served with --no-schedule): runs start only by hand — restart `npm run txc -- local serve` without --no-schedule',
    );
    expect(run.stdout).toMatch(/^FAIL: 7 ok, 1 warn, 1 fail — /m);
  });

  it('no endpoint: the stack check fails with how to start one, nothing else runs', async () => {
    // Nothing listens on the discard port of loopback.
    const run = await txc('http://127.0.0.1:9', ['doctor']);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'fail  stack               EndpointUnreachable: nothing answers at http://127.0.0.1:9' +
        ' — start it: `npm run txc -- local serve`',
    );
    expect(lines.slice(1, 9).every((l) => l.endsWith('not run: the stack check failed'))).toBe(
      true,
    );
    expect(lines[9]).toBe('FAIL: 0 ok, 0 warn, 9 fail — local endpoint http://127.0.0.1:9');
  });
});
