// "No input can crash a process: a long-running server survives every request and every
// execution", held against `txc local serve` itself. A child process, run as a user runs it, gets
// hostile requests on every server it runs (the Step Functions endpoint with every registered
// operation, its txconfirm routes and the operator console where there is one; dynalite; the
// simulated provider; the loopback Secrets Manager; and, found through /proc on Linux, the S3
// endpoint), hostile executions and hostile definitions. After each batch the child still runs,
// still answers a normal StartExecution, DescribeExecution and DescribeTable, and has written no
// unhandled rejection or uncaught exception to stderr. The same guarantee for the engine alone,
// in a plain Node process: test/local/asl/crash-guarantee.test.ts.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as sfnSdk from '@aws-sdk/client-sfn';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  ValidateStateMachineDefinitionCommand,
} from '@aws-sdk/client-sfn';
import { serve, type Served, type ServeInfo } from './local-serve';
import { until } from '../support/poll';

jest.setTimeout(120_000);

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const JSON_1_0 = 'application/x-amz-json-1.0';
/** What Node prints when an unhandled rejection or an uncaught exception ends a process. */
const CRASH_TEXT = /unhandled|uncaught|^Node\.js v\d|^\s+at /im;
/** The Step Functions endpoint's request limit (local/aws/sfn-endpoint/wire.ts). */
const MAX_BODY_BYTES = 1024 * 1024;

let served: Served;
let info: ServeInfo;
let stderr = '';
let sfn: SFNClient;
let ddb: DynamoDBClient;
/** Keep-alive connections for the many small requests. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

beforeAll(async () => {
  served = await serve(['--transactions', '20', '--provider-latency-ms', '0']);
  info = served.info;
  served.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  sfn = new SFNClient({ endpoint: info.stepFunctionsEndpoint, region: 'us-east-1', credentials });
  ddb = new DynamoDBClient({ endpoint: info.dynamodbEndpoint, region: 'us-east-1', credentials });
});

afterAll(async () => {
  sfn?.destroy();
  ddb?.destroy();
  agent.destroy();
  if (!served) return;
  // A process stuck in a loop cannot run its SIGTERM handler: SIGKILL it rather than hang here.
  const kill = setTimeout(() => served.child.kill('SIGKILL'), 15_000);
  await served.stop();
  clearTimeout(kill);
});

// ---- helpers ------------------------------------------------------------------------------

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

interface RequestOptions {
  method?: string;
  path?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
}

function request(url: string, options: RequestOptions = {}): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/',
        // Node frames a GET's (or DELETE's…) body only when told its length: unframed, it would
        // be read as the start of the next request on the connection.
        headers:
          options.body === undefined || options.headers?.['transfer-encoding'] !== undefined
            ? options.headers
            : { 'content-length': Buffer.byteLength(options.body), ...options.headers },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Writes `data` on a new connection. `cut`: destroys the socket right after writing (a client
 * that goes away mid-request); otherwise resolves with what the server sent once it closed.
 */
function rawRequest(url: string, data: string | Buffer, cut = false): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(data, () => {
        if (cut) {
          socket.destroy();
          resolve('');
        }
      });
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close on a request it refuses before reading all of it.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        resolve(Buffer.concat(chunks).toString('utf8'));
      } else {
        reject(error);
      }
    });
  });
}

/** Sends the start of a body `declared` bytes long, then goes away. */
async function cutOff(url: string, head: string, sent: string | Buffer, declared: number) {
  await rawRequest(
    url,
    Buffer.concat([Buffer.from(`${head}Content-Length: ${declared}\r\n\r\n`), Buffer.from(sent)]),
    true,
  );
}

/** A Step Functions operation, with any body. */
function sfnCall(
  target: string | undefined,
  body: string | Buffer,
  headers: http.OutgoingHttpHeaders = {},
): Promise<Answer> {
  return request(info.stepFunctionsEndpoint, {
    headers: {
      'content-type': JSON_1_0,
      ...(target === undefined ? {} : { 'x-amz-target': target }),
      ...headers,
    },
    body,
  });
}

/** Status and error code (after the `#`) of an AWS JSON answer. */
function awsError(answer: Answer): { status: number; code: string | undefined } {
  const body = JSON.parse(answer.text) as { __type?: string };
  return { status: answer.status, code: body.__type?.split('#')[1] };
}

/** The error name the SDK gives a rejected call. */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  return 'resolved';
}

let healthChecks = 0;

/** The child still runs, still answers normal requests, and wrote no crash to stderr. */
async function expectServing(): Promise<void> {
  expect({ exitCode: served.child.exitCode, signal: served.child.signalCode }).toEqual({
    exitCode: null,
    signal: null,
  });
  healthChecks += 1;
  const name = `health-${healthChecks}`;
  const started = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: info.stateMachineArn,
      name,
      input: '{"dryRun":true}',
    }),
  );
  const described = await sfn.send(
    new DescribeExecutionCommand({ executionArn: started.executionArn }),
  );
  expect(described).toMatchObject({ executionArn: started.executionArn, name });
  expect(['RUNNING', 'SUCCEEDED']).toContain(described.status);
  const table = await ddb.send(new DescribeTableCommand({ TableName: info.tables.transactions }));
  expect(table.Table?.TableStatus).toBe('ACTIVE');
  expect(stderr).not.toMatch(CRASH_TEXT);
}

/** `{"a":{"a":…1…}}`, `depth` levels, as text (JSON.stringify would overflow first). */
const nestedObjectText = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Parallel states nested `depth` deep, each with its own state name. */
function nestedParallels(depth: number): string {
  let machine = '{"StartAt":"P0","States":{"P0":{"Type":"Pass","End":true}}}';
  for (let i = 1; i <= depth; i += 1) {
    machine = `{"StartAt":"P${i}","States":{"P${i}":{"Type":"Parallel","Branches":[${machine}],"End":true}}}`;
  }
  return machine;
}

// ---- the Step Functions endpoint ----------------------------------------------------------

/** Each operation's request fields (API reference); base bodies fill the required ones. */
const FIELDS: Record<string, string[]> = {
  StartExecution: ['stateMachineArn', 'name', 'input', 'traceHeader'],
  DescribeExecution: ['executionArn', 'includedData'],
  ListExecutions: [
    'stateMachineArn',
    'mapRunArn',
    'statusFilter',
    'maxResults',
    'nextToken',
    'redriveFilter',
  ],
  StopExecution: ['executionArn', 'error', 'cause'],
  RedriveExecution: ['executionArn', 'clientToken'],
  GetExecutionHistory: [
    'executionArn',
    'maxResults',
    'reverseOrder',
    'nextToken',
    'includeExecutionData',
  ],
  DescribeStateMachine: ['stateMachineArn', 'includedData'],
  DescribeStateMachineForExecution: ['executionArn', 'includedData'],
  ListStateMachines: ['maxResults', 'nextToken'],
  ValidateStateMachineDefinition: ['definition', 'type', 'severity', 'maxResults'],
  TestState: [
    'definition',
    'roleArn',
    'input',
    'inspectionLevel',
    'revealSecrets',
    'variables',
    'stateName',
    'mock',
    'context',
    'stateConfiguration',
  ],
  ListMapRuns: ['executionArn', 'maxResults', 'nextToken'],
  DescribeMapRun: ['mapRunArn'],
};
/** For an operation registered after this test was written: every field name above. */
const ANY_FIELDS = [...new Set(Object.values(FIELDS).flat())];

/** JSON texts of field values of the wrong type, or strings no field takes. */
const HOSTILE_VALUES = [
  '0',
  '-1',
  '1.5',
  '1e308',
  '-0',
  'true',
  'false',
  'null',
  '{}',
  '[]',
  '[null]',
  '{"__proto__":{"polluted":true}}',
  JSON.stringify('x'.repeat(300_000)),
  JSON.stringify('a\u0000b'),
  JSON.stringify('\ud800'),
  JSON.stringify('\udfff lone'),
  '""',
  '" "',
  JSON.stringify('arn:aws:states:us-east-1:000000000000:execution:txconfirm-dev:\u0000'),
  JSON.stringify('arn:aws:states:us-east-1:000000000000:stateMachine:txconfirm-dev\ud800'),
];

/** A body: `base` with `field` set to the JSON text `value`. */
function withField(base: Record<string, unknown>, field: string, value: string): string {
  const rest = JSON.stringify({ ...base, [field]: undefined });
  return rest === '{}' ? `{"${field}":${value}}` : `${rest.slice(0, -1)},"${field}":${value}}`;
}

describe('txc local serve survives hostile input on every server it runs', () => {
  let finishedArn: string;
  let mapRunArn: string;
  /** The executions started with hostile inputs (stopped, or ended on their own). */
  let hostileArns: string[];

  it('serves a normal run first (the baseline the later checks compare with)', async () => {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: info.stateMachineArn, name: 'baseline' }),
    );
    finishedArn = started.executionArn!;
    const done = await until(
      () => sfn.send(new DescribeExecutionCommand({ executionArn: finishedArn })),
      (d) => d.status !== 'RUNNING',
    );
    expect(done.status).toBe('SUCCEEDED');
    const totals = (JSON.parse(done.output!) as { totals: { confirmed: number; rejected: number } })
      .totals;
    expect(totals.confirmed + totals.rejected).toBe(20);
    const mapRuns = await sfn.send(new ListMapRunsCommand({ executionArn: finishedArn }));
    expect(mapRuns.mapRuns?.length).toBeGreaterThan(0);
    mapRunArn = mapRuns.mapRuns![0].mapRunArn!;
    await expectServing();
  });

  it('Step Functions endpoint: bodies that are not JSON objects, over the limit, or cut off', async () => {
    const target = 'AWSStepFunctions.DescribeStateMachine';
    const notJson: (string | Buffer)[] = [
      '{',
      '{"stateMachineArn":',
      'nul',
      '{"stateMachineArn":"x"}trailing',
      '\u0000',
      '\ufeff{}',
      Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
    ];
    for (const body of notJson) {
      expect(awsError(await sfnCall(target, body))).toEqual({
        status: 400,
        code: 'SerializationException',
      });
    }
    for (const body of ['[]', '[{}]', '5', 'null', '"a string"', 'true']) {
      const answer = await sfnCall(target, body);
      expect(awsError(answer)).toEqual({ status: 400, code: 'SerializationException' });
      expect(answer.text).toContain('must be a JSON object');
    }
    // Over the 1 MiB request limit: AWS's ValidationException, as a body and as chunks.
    const huge = `{"definition":"${'x'.repeat(MAX_BODY_BYTES)}"}`;
    expect(
      awsError(await sfnCall('AWSStepFunctions.ValidateStateMachineDefinition', huge)),
    ).toEqual({ status: 400, code: 'ValidationException' });
    expect(
      awsError(
        await sfnCall('AWSStepFunctions.ListStateMachines', Buffer.alloc(4 * MAX_BODY_BYTES, 32), {
          'transfer-encoding': 'chunked',
        }),
      ),
    ).toEqual({ status: 400, code: 'ValidationException' });
    // Cut off: in the headers, in the body, in a chunk, past the limit, and a whole request
    // whose client goes away before the answer.
    const { stepFunctionsEndpoint: url } = info;
    const head = `POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.StartExecution\r\nContent-Type: ${JSON_1_0}\r\n`;
    await rawRequest(url, 'POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Tar', true);
    await cutOff(url, head, `{"stateMachineArn":"${info.stateMachineArn}","in`, 1000);
    await rawRequest(
      url,
      `${head}Transfer-Encoding: chunked\r\n\r\n40\r\n{"stateMachineArn":"`,
      true,
    );
    await cutOff(url, head, Buffer.alloc(2 * MAX_BODY_BYTES, 32), 5 * MAX_BODY_BYTES);
    const whole = JSON.stringify({ definition: nestedParallels(20) });
    await rawRequest(
      url,
      `POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.ValidateStateMachineDefinition\r\nContent-Length: ${Buffer.byteLength(whole)}\r\n\r\n${whole}`,
      true,
    );
    await expectServing();
  });

  it('Step Functions endpoint: X-Amz-Target missing, unknown or inherited; other methods, Content-Types and request lines', async () => {
    expect(awsError(await sfnCall(undefined, '{}'))).toEqual({
      status: 400,
      code: 'UnknownOperationException',
    });
    const unknownTargets = [
      '',
      'AWSStepFunctions',
      'AWSStepFunctions.',
      'AWSStepFunctions.toString',
      'AWSStepFunctions.__proto__',
      'AWSStepFunctions.constructor',
      'AWSStepFunctions.hasOwnProperty',
      'AWSStepFunctions.CreateActivity',
      'awsstepfunctions.ListStateMachines',
      'DynamoDB_20120810.DescribeTable',
      `AWSStepFunctions.${'X'.repeat(8000)}`,
      ['AWSStepFunctions.ListStateMachines', 'AWSStepFunctions.ListStateMachines'],
    ];
    for (const target of unknownTargets) {
      const answer = await sfnCall(undefined, '{}', { 'x-amz-target': target });
      expect(awsError(answer)).toEqual({ status: 400, code: 'UnknownOperationException' });
    }
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const answer = await request(info.stepFunctionsEndpoint, {
        method,
        headers: { 'x-amz-target': 'AWSStepFunctions.ListStateMachines' },
        body: '{}',
      });
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.text)).toMatchObject({ error: 'NotFound' });
    }
    const head = await request(info.stepFunctionsEndpoint, { method: 'HEAD' });
    expect(head.status).toBe(404);
    // The endpoint reads the body as JSON whatever the Content-Type says (the SDK's is JSON 1.0).
    for (const contentType of [
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/x-amz-json-1.0; charset=utf-16',
      undefined,
    ]) {
      const answer = await request(info.stepFunctionsEndpoint, {
        headers: {
          'x-amz-target': 'AWSStepFunctions.ListStateMachines',
          ...(contentType === undefined ? {} : { 'content-type': contentType }),
        },
        body: '{}',
      });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({
        stateMachines: [{ stateMachineArn: info.stateMachineArn }],
      });
    }
    const url = info.stepFunctionsEndpoint;
    // Request lines and headers Node's parser refuses, and targets that are not paths.
    expect(await rawRequest(url, 'GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(
      await rawRequest(url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 431 /);
    for (const target of ['http://[::1', '*', '/%zz', '//', '/txconfirm/../txconfirm/target']) {
      expect(
        await rawRequest(url, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      ).toMatch(/^HTTP\/1\.1 404 /);
    }
    await expectServing();
  });

  it('Step Functions endpoint: every registered operation with fields of the wrong type, too long, with NUL or lone surrogates', async () => {
    // The operations the endpoint answers, asked of the endpoint itself: every SDK operation that
    // is not UnknownOperationException (so operations registered later are covered too).
    const sdkOperations = Object.keys(sfnSdk)
      .filter((name) => /^[A-Z]\w*Command$/.test(name))
      .map((name) => name.slice(0, -'Command'.length));
    const registered: string[] = [];
    for (const operation of sdkOperations) {
      const answer = await sfnCall(`AWSStepFunctions.${operation}`, '{}');
      if (awsError(answer).code !== 'UnknownOperationException') registered.push(operation);
    }
    expect(registered).toEqual(expect.arrayContaining(Object.keys(FIELDS)));

    const bases: Record<string, Record<string, unknown>> = {
      StartExecution: { stateMachineArn: info.stateMachineArn },
      DescribeExecution: { executionArn: finishedArn },
      ListExecutions: { stateMachineArn: info.stateMachineArn },
      StopExecution: { executionArn: finishedArn },
      RedriveExecution: { executionArn: finishedArn },
      GetExecutionHistory: { executionArn: finishedArn },
      DescribeStateMachine: { stateMachineArn: info.stateMachineArn },
      DescribeStateMachineForExecution: { executionArn: finishedArn },
      // Not JSON: the definition check ends before the schema validation.
      ValidateStateMachineDefinition: { definition: '{' },
      TestState: { definition: '{"Type":"Pass","End":true}' },
      ListMapRuns: { executionArn: finishedArn },
      DescribeMapRun: { mapRunArn },
    };
    const unexpected: string[] = [];
    let answered = 0;
    for (const operation of registered) {
      const base = bases[operation] ?? {};
      const bodies = [
        '{"__proto__":{"stateMachineArn":"x"},"constructor":{"prototype":{"polluted":true}}}',
        ...(FIELDS[operation] ?? ANY_FIELDS).flatMap((field) =>
          HOSTILE_VALUES.map((value) => withField(base, field, value)),
        ),
      ];
      for (const body of bodies) {
        const answer = await sfnCall(`AWSStepFunctions.${operation}`, body);
        answered += 1;
        const { status, code } = awsError(answer);
        // Answered as AWS answers: 200, or a 400 with a Step Functions error; never a 500.
        const aws =
          status === 200 ||
          (status === 400 &&
            code !== undefined &&
            answer.text.startsWith('{"__type":"com.amazonaws.stepfunctions#'));
        if (!aws) unexpected.push(`${operation} ${body.slice(0, 120)} → ${status} ${code}`);
      }
    }
    expect(unexpected).toEqual([]);
    expect(answered).toBeGreaterThan(Object.keys(FIELDS).length * HOSTILE_VALUES.length);
    await expectServing();
  });

  it('executions with hostile inputs start or are refused, stop, and page their history; forged nextTokens are InvalidToken', async () => {
    const { stateMachineArn } = info;
    const start = (input: string) =>
      sfn.send(new StartExecutionCommand({ stateMachineArn, input }));
    // Refused before anything runs.
    const refused: [string, string][] = [
      ['nested too deep to serialise', nestedObjectText(40_000)],
      ['an array nested too deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
      ['256 KiB + 1 byte', JSON.stringify('x'.repeat(256 * 1024 - 1))],
      ['not JSON', 'not json at all'],
      ['JSON and more', '{} {}'],
      ['a lone surrogate as the whole input', '\ud800'],
    ];
    for (const [label, input] of refused) {
      expect([label, await rejection(start(input))]).toEqual([label, 'InvalidExecutionInput']);
    }
    // Started; the workflow refuses most of them itself (InvalidExecutionInput in the history).
    const accepted: [string, string][] = [
      ['exactly 256 KiB', JSON.stringify('x'.repeat(256 * 1024 - 2))],
      ['nested 1000 deep', nestedObjectText(1000)],
      ['maxItems 0', '{"maxItems":0}'],
      ['maxItems a string', '{"maxItems":"all"}'],
      ['transactionIds of objects', '{"transactionIds":[{},null,[]]}'],
      ['an array', '[1,2,3]'],
      ['null', 'null'],
      ['a string', '"s"'],
      ['a number', '5'],
      ['__proto__ keys', '{"__proto__":{"dryRun":true},"constructor":{"prototype":{"x":1}}}'],
      ['NUL and lone surrogates', '{"a\\u0000":"\\u0000","b":"\\ud800","c":"\\udfff"}'],
    ];
    const arns: string[] = [];
    for (const [, input] of accepted) arns.push((await start(input)).executionArn!);
    hostileArns = arns;
    // One of them left to end on its own: the workflow refuses it, the process goes on.
    const maxItemsZero = arns[2];
    const refusedRun = await until(
      () => sfn.send(new DescribeExecutionCommand({ executionArn: maxItemsZero })),
      (d) => d.status !== 'RUNNING',
    );
    expect(refusedRun).toMatchObject({ status: 'FAILED', error: 'InvalidExecutionInput' });
    for (const executionArn of arns) {
      const stopped = await sfn.send(
        new StopExecutionCommand({
          executionArn,
          error: 'Hostile\u0000',
          cause: '\ud800'.repeat(10),
        }),
      );
      expect(stopped.stopDate).toBeInstanceOf(Date);
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(['ABORTED', 'FAILED', 'SUCCEEDED']).toContain(described.status);
    }
    const withProto = await sfn.send(new DescribeExecutionCommand({ executionArn: arns[9] }));
    expect(Object.keys(JSON.parse(withProto.input!) as object)).toEqual([
      '__proto__',
      'constructor',
    ]);

    // The history one event a page, forwards and backwards: every event once, in order.
    for (const reverseOrder of [false, true]) {
      const ids: number[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({
            executionArn: arns[1],
            maxResults: 1,
            reverseOrder,
            nextToken,
          }),
        );
        ids.push(...page.events!.map((e) => e.id!));
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
      const count = ids.length;
      expect(count).toBeGreaterThan(1);
      const ascending = Array.from({ length: count }, (_, i) => i + 1);
      expect(ids).toEqual(reverseOrder ? ascending.reverse() : ascending);
    }

    const token = (kind: string, value: unknown) =>
      Buffer.from(JSON.stringify({ k: kind, v: value })).toString('base64url');
    const executionArn = arns[1];
    const forged = [
      // A fractional event id used to index between two events: a 500, not InvalidToken.
      token('history', [1.5, false, executionArn]),
      token('history', [2.5, true, executionArn]),
      token('history', ['1', false, executionArn]),
      token('history', [0, false, executionArn]),
      token('history', [1e9, false, executionArn]),
      token('history', [1, true, executionArn]),
      token('history', [1, false, arns[0]]),
      token('history', [1, false]),
      token('history', {}),
      token('executions', [Date.now(), executionArn]),
      Buffer.from('not json').toString('base64url'),
      '!!!!',
      'A'.repeat(1024),
      '\ud800',
      'a\u0000',
    ];
    for (const nextToken of forged) {
      expect([
        nextToken.slice(0, 40),
        await rejection(sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }))),
      ]).toEqual([nextToken.slice(0, 40), 'InvalidToken']);
    }
    for (const nextToken of ['', 'A'.repeat(1025)]) {
      expect(
        await rejection(sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }))),
      ).toBe('ValidationException');
    }
    await expectServing();
  });

  it('RedriveExecution and TestState: hostile client tokens, redrives at once, states that recurse, nest or fail', async () => {
    const call = async (operation: string, body: object) => {
      const answer = await sfnCall(`AWSStepFunctions.${operation}`, JSON.stringify(body));
      const json = JSON.parse(answer.text) as Record<string, unknown>;
      const code = typeof json.__type === 'string' ? json.__type.split('#')[1] : undefined;
      return { status: answer.status, code, json };
    };
    const failed = hostileArns[2]; // maxItems 0: FAILED on its own
    for (const clientToken of ['', 'x'.repeat(65), 'a b', 'a\u0000', '\ud800', 'é']) {
      expect(await call('RedriveExecution', { executionArn: failed, clientToken })).toMatchObject({
        status: 400,
        code: 'ValidationException',
      });
    }
    expect(
      await call('RedriveExecution', { executionArn: finishedArn, clientToken: 'a' }),
    ).toMatchObject({ status: 400, code: 'ExecutionNotRedrivable' });
    // Five redrives of one execution at once, with and without the same token: each is answered.
    const redrives = await Promise.all(
      ['t', 't', undefined, undefined, 'u'].map((clientToken) =>
        call('RedriveExecution', { executionArn: failed, clientToken }),
      ),
    );
    for (const redrive of redrives) {
      expect(redrive.status === 200 || (redrive.status === 400 && redrive.code !== undefined)).toBe(
        true,
      );
    }
    expect(redrives.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    await sfn.send(new StopExecutionCommand({ executionArn: failed }));
    const redriven = await sfn.send(new DescribeExecutionCommand({ executionArn: failed }));
    expect(['ABORTED', 'FAILED']).toContain(redriven.status);
    expect(redriven.redriveCount).toBeGreaterThan(0);

    const testState = (definition: string, extra: Record<string, unknown> = {}) =>
      call('TestState', { definition, ...extra });
    const pass = '{"Type":"Pass","End":true}';
    // Answered as a test result: the state ran, and failed or succeeded.
    const ran: [string, Promise<Awaited<ReturnType<typeof call>>>, string, string?][] = [
      [
        // Not tail-recursive: it ends at jsonata's depth bound (a tail call runs to the time bound).
        'JSONata recursion without end',
        testState(
          JSON.stringify({
            Type: 'Pass',
            QueryLanguage: 'JSONata',
            Output: '{% ($f := function($x) { 1 + $f($x + 1) }; $f(0)) %}',
            End: true,
          }),
        ),
        'FAILED',
        'States.QueryEvaluationError',
      ],
      [
        'a state nested in 40 Parallel branches',
        testState(nestedParallels(40), { stateName: 'P0' }),
        'SUCCEEDED',
      ],
      [
        'a Task of a function that does not exist',
        testState(
          JSON.stringify({
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'nope', 'Payload.$': '$' },
            End: true,
          }),
          { roleArn: 'arn:aws:iam::000000000000:role/test' },
        ),
        'FAILED',
      ],
      [
        'a Wait of three years',
        testState('{"Type":"Wait","Seconds":99999999,"End":true}'),
        'SUCCEEDED',
      ],
      [
        'a Wait until a timestamp that is not one',
        testState('{"Type":"Wait","TimestampPath":"$.t","End":true}', {
          input: '{"t":{"not":"a time"}}',
        }),
        'FAILED',
      ],
      [
        'intrinsic functions that fail',
        testState(
          JSON.stringify({
            Type: 'Pass',
            Parameters: { 'a.$': 'States.StringToJson($.s)', 'b.$': 'States.ArrayGetItem($.l, 9)' },
            End: true,
          }),
          { input: '{"s":"{not json","l":[]}' },
        ),
        'FAILED',
      ],
      [
        'an input nested 1000 deep at TRACE',
        testState(pass, { input: nestedObjectText(1000), inspectionLevel: 'TRACE' }),
        'SUCCEEDED',
      ],
    ];
    for (const [label, answer, status, error] of ran) {
      const { json } = await answer;
      expect([label, json.status, ...(error === undefined ? [] : [json.error])]).toEqual([
        label,
        status,
        ...(error === undefined ? [] : [error]),
      ]);
    }
    // Refused with an AWS error.
    const refused: [string, Promise<Awaited<ReturnType<typeof call>>>, string][] = [
      ['not JSON', testState('{"Type":'), 'InvalidDefinition'],
      ['an array', testState('[]'), 'InvalidDefinition'],
      ['a Parallel state', testState(nestedParallels(3)), 'InvalidDefinition'],
      [
        'a machine without stateName',
        testState('{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}'),
        'InvalidDefinition',
      ],
      [
        'a stateName not in it',
        testState(nestedParallels(40), { stateName: 'Q' }),
        'ValidationException',
      ],
      [
        'an input nested too deep',
        testState(pass, { input: nestedObjectText(40_000) }),
        'InvalidExecutionInput',
      ],
      [
        'variables "states"',
        testState(pass, { variables: '{"states":1}' }),
        'InvalidExecutionInput',
      ],
      ['variables an array', testState(pass, { variables: '[]' }), 'InvalidExecutionInput'],
      ['a mock', testState(pass, { mock: { result: '{}' } }), 'ValidationException'],
      [
        'a Task without roleArn',
        testState('{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}'),
        'ValidationException',
      ],
      [
        'a roleArn that is not one',
        testState(pass, { roleArn: 'arn:aws:iam::x:role/\u0000' }),
        'InvalidArn',
      ],
    ];
    for (const [label, answer, code] of refused) {
      const { status, code: got } = await answer;
      expect([label, status, got]).toEqual([label, 400, code]);
    }
    await expectServing();
  });

  it('ValidateStateMachineDefinition with hostile definitions answers OK or FAIL', async () => {
    const validate = (definition: string) =>
      sfn.send(new ValidateStateMachineDefinitionCommand({ definition }));
    // 40 nested Parallel states: asl-validator used to check each level twice (2^depth), which
    // held the process, and with it every server, for hours.
    expect((await validate(nestedParallels(40))).result).toBe('OK');
    const jsonata = (expression: string) =>
      JSON.stringify({
        QueryLanguage: 'JSONata',
        StartAt: 'A',
        States: { A: { Type: 'Pass', Output: `{% ${expression} %}`, End: true } },
      });
    const failing: [string, string][] = [
      ['not JSON', 'not json'],
      ['NUL', '\u0000'],
      ['a cut-off document', '{"StartAt":"A","States":{"A":'],
      ['an array nested 100,000 deep', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
      ['an object nested 100,000 deep', nestedObjectText(100_000)],
      ['Parallel states nested 3,000 deep', nestedParallels(3000)],
      ['invalid JSONata', jsonata('$$$ (')],
      ['JSONata nested 5,000 deep', jsonata(`${'('.repeat(5000)}1${')'.repeat(5000)}`)],
      ['a state that is its own Next', '{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}'],
      ['a StartAt that is not a state', '{"StartAt":"B","States":{"A":{"Type":"Succeed"}}}'],
      [
        'a Choice rule with Not nested 5,000 deep',
        `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{${'"Not":{'.repeat(5000)}"Variable":"$.a","IsPresent":true${'}'.repeat(5000)},"Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`,
      ],
      ['States an array', '{"StartAt":"A","States":[{"Type":"Succeed"}]}'],
      ['a state that is null', '{"StartAt":"A","States":{"A":null}}'],
    ];
    for (const [label, definition] of failing) {
      const validated = await validate(definition);
      expect([label, validated.result, validated.diagnostics?.length]).toEqual([label, 'FAIL', 1]);
    }
    const ok: [string, string][] = [
      [
        'state names __proto__, constructor, toString',
        '{"StartAt":"__proto__","States":{"__proto__":{"Type":"Pass","Next":"constructor"},"constructor":{"Type":"Pass","Next":"toString"},"toString":{"Type":"Succeed"}}}',
      ],
      [
        'a near-1 MiB Result',
        JSON.stringify({
          StartAt: 'A',
          States: { A: { Type: 'Pass', Result: 'x'.repeat(1_000_000), End: true } },
        }),
      ],
    ];
    for (const [label, definition] of ok) {
      expect([label, (await validate(definition)).result]).toEqual([label, 'OK']);
    }
    // Over the request limit, and empty: the request is refused.
    expect(await rejection(validate('x'.repeat(MAX_BODY_BYTES + 1)))).toBe('ValidationException');
    expect(await rejection(validate(''))).toBe('ValidationException');
    await expectServing();
  });

  // ---- the txconfirm routes ---------------------------------------------------------------

  it('txconfirm routes: every route with every method, bad JSON, wrong types, over the limit, cut off', async () => {
    const routes = [
      '/txconfirm/target',
      '/txconfirm/schedule',
      '/txconfirm/provider',
      '/txconfirm/metrics',
    ];
    // None of these is a valid schedule state or provider mode: nothing may change.
    const bodies = [
      undefined,
      '{',
      '[]',
      'null',
      '5',
      '"ENABLED"',
      '{"state":5}',
      '{"state":"enabled"}',
      '{"state":["DISABLED"]}',
      '{"State":"DISABLED"}',
      '{"outage":5}',
      '{"outage":"now","for":"-1s"}',
      '{"outage":"99999999999999999999h"}',
      '{"slow":"1e309s"}',
      '{"permanentErrorRate":2}',
      '{"authFailure":"401"}',
      '{"__proto__":{"outage":"now"}}',
      '{"outage":"off","unknown":1}',
      '\u0000',
      'x'.repeat(100_000),
    ];
    const unexpected: string[] = [];
    for (const route of routes) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        for (const body of bodies) {
          const answer = await request(info.stepFunctionsEndpoint, {
            method,
            path: route,
            headers: { 'content-type': 'application/json' },
            body,
          });
          let json: unknown;
          try {
            json = JSON.parse(answer.text);
          } catch {
            json = undefined;
          }
          const expected = [200, 400, 404, 405].includes(answer.status) && json !== undefined;
          if (!expected) {
            unexpected.push(`${method} ${route} ${String(body).slice(0, 40)} → ${answer.status}`);
          }
        }
      }
    }
    expect(unexpected).toEqual([]);
    const post = (route: string, body: string) =>
      request(info.stepFunctionsEndpoint, { path: route, body });
    expect(await post('/txconfirm/schedule', 'not json')).toMatchObject({ status: 400 });
    expect(JSON.parse((await post('/txconfirm/provider', '{')).text)).toMatchObject({
      error: 'InvalidProviderMode',
    });
    expect(JSON.parse((await post('/txconfirm/provider', '{"outage":5}')).text)).toMatchObject({
      error: 'InvalidProviderMode',
    });
    const tooLarge = await post('/txconfirm/provider', 'x'.repeat(MAX_BODY_BYTES + 1));
    expect([tooLarge.status, JSON.parse(tooLarge.text).error]).toEqual([400, 'BadRequest']);
    const target = await request(info.stepFunctionsEndpoint, {
      method: 'POST',
      path: '/txconfirm/target',
    });
    expect(target.status).toBe(405);
    for (const since of [
      'x',
      '-5m',
      '99999999999999h',
      '1e400m',
      '2026-13-45T00:00:00Z',
      '%zz',
      'a'.repeat(5000),
    ]) {
      const answer = await request(info.stepFunctionsEndpoint, {
        method: 'GET',
        path: `/txconfirm/metrics?since=${since}`,
      });
      expect([since.slice(0, 20), answer.status]).toEqual([since.slice(0, 20), 400]);
    }
    const head = (route: string) =>
      `POST ${route} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n`;
    await cutOff(info.stepFunctionsEndpoint, head('/txconfirm/schedule'), '{"state":"DIS', 100);
    await cutOff(info.stepFunctionsEndpoint, head('/txconfirm/provider'), '{"outage":"no', 100);
    // Nothing those bodies said changed the schedule or the provider.
    const now = JSON.parse(
      (await request(info.stepFunctionsEndpoint, { method: 'GET', path: '/txconfirm/target' }))
        .text,
    ) as { schedule: { state: string } };
    expect(now.schedule.state).toBe('ENABLED');
    const provider = JSON.parse(
      (await request(info.stepFunctionsEndpoint, { method: 'GET', path: '/txconfirm/provider' }))
        .text,
    ) as Record<string, unknown>;
    expect(provider).toMatchObject({
      listening: true,
      outages: [],
      slow: [],
      authFailure: null,
      permanentErrorRate: 0,
    });
    await expectServing();
  });

  it('the operator console, where serve runs one: hostile paths, methods, bodies and tokens', async () => {
    // The console shares the Step Functions endpoint's server (under /console). What it answers
    // is its own contract; what is checked here is that nothing sent to it ends or stalls serve.
    const consoleUrl = (info as { consoleUrl?: string | null }).consoleUrl;
    if (consoleUrl === undefined || consoleUrl === null) return;
    const { pathname } = new URL(consoleUrl);
    const paths = [
      '',
      '/',
      '/api/session',
      '/api/executions?status=%zz&limit=-1',
      // A lone surrogate, percent-encoded as its (invalid) UTF-8 bytes.
      '/api/executions/%ED%A0%80',
      '/api/executions/%zz',
      `/api/${'x'.repeat(5000)}`,
      '/app.js',
      '/graph.svg',
      '/../txconfirm/target',
      '/%00',
    ];
    let answered = 0;
    for (const path of paths) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
        for (const body of [undefined, '{', '[]', '{"__proto__":{"x":1}}', 'x'.repeat(70_000)]) {
          const answer = await request(info.stepFunctionsEndpoint, {
            method,
            path: `${pathname}${path}`,
            headers: { 'content-type': 'application/json', 'x-txconfirm-console-token': 'forged' },
            body,
          });
          expect(answer.status).toBeGreaterThanOrEqual(200);
          answered += 1;
        }
      }
    }
    expect(answered).toBe(paths.length * 4 * 5);
    await cutOff(
      info.stepFunctionsEndpoint,
      `POST ${pathname}/api/session HTTP/1.1\r\nHost: x\r\n`,
      '{"a":',
      100,
    );
    await expectServing();
  });

  // ---- dynalite -----------------------------------------------------------------------------

  it('dynalite: malformed requests, a null attribute value, a bad request target, nested expressions, cut off', async () => {
    const url = info.dynamodbEndpoint;
    const headers = (operation: string) => ({
      'content-type': JSON_1_0,
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
      'x-amz-date': '20260101T000000Z',
    });
    const call = (operation: string, body: string | object) =>
      request(url, {
        headers: headers(operation),
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const code = (answer: Answer) =>
      [
        answer.status,
        (JSON.parse(answer.text) as { __type: string }).__type.split('#')[1],
      ] as const;
    // A table of its own: the workflow's tables get no hostile items.
    const table = 'hostile-scratch';
    expect(
      (
        await call('CreateTable', {
          TableName: table,
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        })
      ).status,
    ).toBe(200);

    expect(code(await call('DescribeTable', '{'))).toEqual([400, 'SerializationException']);
    expect(code(await call('Nope', '{}'))).toEqual([400, 'UnknownOperationException']);
    const unsigned = await request(url, {
      headers: { 'content-type': JSON_1_0, 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
    });
    expect(code(unsigned)).toEqual([400, 'MissingAuthenticationTokenException']);
    for (const body of ['[]', '5', 'null', '"s"']) {
      expect((await call('DescribeTable', body)).status).toBe(400);
    }
    // No SDK sends a null attribute value: unpatched, an uncaught TypeError ended the process.
    expect(
      code(await call('PutItem', { TableName: table, Item: { id: { S: 'x' }, bad: null } })),
    ).toEqual([400, 'ValidationException']);
    expect(code(await call('Scan', { TableName: table, ExclusiveStartKey: { id: null } }))).toEqual(
      [400, 'ValidationException'],
    );
    // A request target Node's URL parser refuses: unpatched, url.parse threw out of dynalite.
    const badTarget = await rawRequest(
      url,
      `POST http://[::1 HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_1_0}\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}`,
    );
    expect(badTarget).toMatch(/^HTTP\/1\.1 400 /);
    expect(badTarget).toContain('ValidationException');
    // Nested parentheses: dynalite's expression parser backtracked about 3^depth, so a request
    // of a few hundred bytes held the process (every server in it) for hours.
    const nested = (depth: number) =>
      `${'attribute_not_exists(id) AND ('.repeat(depth)}attribute_not_exists(id)${')'.repeat(depth)}`;
    const conditional = await call('PutItem', {
      TableName: table,
      Item: { id: { S: 'nested' } },
      ConditionExpression: nested(40),
    });
    expect(conditional.status).toBe(200);
    const filtered = await call('Scan', {
      TableName: table,
      FilterExpression: `${'('.repeat(200)}attribute_exists(id)${')'.repeat(200)}`,
    });
    expect(code(filtered)).toEqual([400, 'ValidationException']);
    expect(JSON.parse(filtered.text).message).toContain('redundant parentheses');
    const keyed = await call('Query', {
      TableName: table,
      KeyConditionExpression: `${'('.repeat(100)}id = :id${')'.repeat(100)}`,
      ExpressionAttributeValues: { ':id': { S: 'nested' } },
    });
    expect(keyed.status).toBe(400);
    // Items nested past what dynalite's validation recursion takes: a 400, not a crash.
    const deepItem = `{"TableName":"${table}","Item":{"id":{"S":"deep"},"n":${'{"M":{"a":'.repeat(20_000)}{"S":"x"}${'}}'.repeat(20_000)}}}`;
    expect(code(await call('PutItem', deepItem))).toEqual([400, 'ValidationException']);
    const fine = `{"TableName":"${table}","Item":{"id":{"S":"deep-ok"},"n":${'{"M":{"a":'.repeat(500)}{"S":"x"}${'}}'.repeat(500)}}}`;
    expect((await call('PutItem', fine)).status).toBe(200);
    expect(
      (await call('GetItem', { TableName: table, Key: { id: { S: 'deep-ok' } } })).status,
    ).toBe(200);
    // Cut off mid-way: unpatched, the request's error event was thrown out of dynalite.
    const head = `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_1_0}\r\nX-Amz-Target: DynamoDB_20120810.PutItem\r\n`;
    await cutOff(url, head, `{"TableName":"${table}","Item":`, 1000);
    await rawRequest(url, `${head}Transfer-Encoding: chunked\r\n\r\n100\r\n{"TableName":`, true);
    expect((await call('DeleteTable', { TableName: table })).status).toBe(200);
    await expectServing();
  });

  // ---- the simulated provider, the loopback Secrets Manager, every other port -----------------

  it('the simulated provider and the loopback Secrets Manager: malformed, too large, cut off, bad request targets', async () => {
    const provider = info.providerUrl;
    const confirm = (body: string, headers: http.OutgoingHttpHeaders = {}) =>
      request(provider, { path: '/v1/confirmations', headers, body });
    // Without the key every call is refused before the body counts.
    expect((await confirm('{')).status).toBe(401);
    expect((await confirm('x'.repeat(70_000))).status).toBe(413);
    expect((await request(provider, { method: 'GET', path: '/nope' })).status).toBe(404);
    expect(
      await rawRequest(
        provider,
        'POST http://[::1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}',
      ),
    ).toMatch(/^HTTP\/1\.1 404 /);
    await cutOff(
      provider,
      'POST /v1/confirmations HTTP/1.1\r\nHost: x\r\n',
      '{"transactionId":',
      500,
    );

    const target = JSON.parse(
      (await request(info.stepFunctionsEndpoint, { method: 'GET', path: '/txconfirm/target' }))
        .text,
    ) as { secretsManager: { endpoint: string; secretId: string } };
    const secrets = target.secretsManager.endpoint;
    const secretCall = (body: string, operation = 'GetSecretValue') =>
      request(secrets, {
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `secretsmanager.${operation}`,
        },
        body,
      });
    const secretError = async (body: string, operation?: string) => {
      const answer = await secretCall(body, operation);
      return [answer.status, (JSON.parse(answer.text) as { __type: string }).__type];
    };
    expect(await secretError('{')).toEqual([400, 'SerializationException']);
    for (const body of ['null', '5', '[]', '{"SecretId":5}', '{"SecretId":""}']) {
      expect(await secretError(body)).toEqual([400, 'ValidationException']);
    }
    for (const secretId of ['__proto__', 'toString', 'a\u0000', '\ud800']) {
      expect(await secretError(JSON.stringify({ SecretId: secretId }))).toEqual([
        400,
        'ResourceNotFoundException',
      ]);
    }
    expect(await secretError('{}', 'ListSecrets')).toEqual([400, 'UnknownOperationException']);
    expect(await secretError('x'.repeat(70_000))).toEqual([413, 'ValidationException']);
    await cutOff(
      secrets,
      'POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.GetSecretValue\r\n',
      '{"SecretId":',
      500,
    );
    // The key is still there and served (DescribeSecret: metadata only).
    const described = await secretCall(
      JSON.stringify({ SecretId: target.secretsManager.secretId }),
      'DescribeSecret',
    );
    expect(described.status).toBe(200);
    await expectServing();
  });

  it('every port the process listens on (the S3 endpoint too): garbage, bad request targets, oversized headers, cut off', async () => {
    if (!fs.existsSync('/proc/self/net/tcp')) {
      throw new Error(
        'this test finds the listening ports through /proc (Linux); run it on Linux, as CI does',
      );
    }
    const pid = served.child.pid!;
    const ports = listeningPorts(pid);
    const portOf = (url: string) => Number(new URL(url).port);
    const target = JSON.parse(
      (await request(info.stepFunctionsEndpoint, { method: 'GET', path: '/txconfirm/target' }))
        .text,
    ) as { secretsManager: { endpoint: string } };
    const known = [
      info.stepFunctionsEndpoint,
      info.dynamodbEndpoint,
      info.providerUrl,
      target.secretsManager.endpoint,
    ].map(portOf);
    expect(ports).toEqual(expect.arrayContaining(known));
    // The S3 endpoint (page manifests) is not in the description: it is one of the others.
    const others = ports.filter((port) => !known.includes(port));
    expect(others.length).toBeGreaterThan(0);
    for (const port of ports) {
      const url = `http://127.0.0.1:${port}`;
      expect([port, await rawRequest(url, 'GARBAGE\r\n\r\n')]).toEqual([
        port,
        expect.stringMatching(/^HTTP\/1\.1 400 /),
      ]);
      expect([
        port,
        await rawRequest(url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`),
      ]).toEqual([port, expect.stringMatching(/^HTTP\/1\.1 431 /)]);
      for (const path of ['http://[::1', '/%zz/%zz', '*']) {
        expect([
          port,
          path,
          await rawRequest(
            url,
            `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}`,
          ),
        ]).toEqual([port, path, expect.stringMatching(/^HTTP\/1\.1 [2-5]\d\d /)]);
      }
      await cutOff(url, 'PUT /bucket/key HTTP/1.1\r\nHost: x\r\n', 'partial', 1000);
    }
    // The S3 endpoint answers ListBuckets with S3's NotImplemented; a key that is not
    // percent-encoding is S3's 400 InvalidURI (it was a 500 InternalError).
    const s3 = [];
    for (const port of others) {
      const answer = await request(`http://127.0.0.1:${port}`, { method: 'GET', path: '/' });
      if (answer.text.includes('<Code>NotImplemented</Code>')) s3.push(port);
    }
    expect(s3).toHaveLength(1);
    const invalid = await request(`http://127.0.0.1:${s3[0]}`, {
      method: 'GET',
      path: '/bucket/%zz',
    });
    expect([invalid.status, /<Code>(\w+)<\/Code>/.exec(invalid.text)?.[1]]).toEqual([
      400,
      'InvalidURI',
    ]);
    await expectServing();
  });

  it('at the end a normal run still succeeds, and stderr holds no crash', async () => {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: info.stateMachineArn, name: 'after-all' }),
    );
    const done = await until(
      () => sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn })),
      (d) => d.status !== 'RUNNING',
    );
    expect(done.status).toBe('SUCCEEDED');
    await expectServing();
  });
});

/** The TCP ports `pid` listens on (Linux: its socket inodes in /proc/<pid>/net/tcp{,6}). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (socket) inodes.add(socket[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      // st 0A: LISTEN
      if (columns[3] === '0A' && inodes.has(columns[9])) {
        ports.add(parseInt(columns[1].split(':')[1], 16));
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}
