import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { runTxc, type TxcDeps } from '../../ops/program';
import { TEST_SHARD_COUNT } from '../support/fixtures';
import type { Store } from '../support/store';

export const REGION = 'us-east-1';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:123456789012:stateMachine:txconfirm-dev`;
export const executionArn = (name: string) =>
  `arn:aws:states:${REGION}:123456789012:execution:txconfirm-dev:${name}`;

/** The outputs of a deployed Txconfirm-dev stack (lib/txconfirm-stack.ts). */
export const STACK_OUTPUTS = {
  StateMachineArn: STATE_MACHINE_ARN,
  TransactionsTableName: 'Txconfirm-dev-TransactionsTable-ABC',
  RunsTableName: 'Txconfirm-dev-RunsTable-DEF',
  PendingIndexName: 'pending-by-shard',
  PendingShardCount: '4',
  ScheduleName: 'Txconfirm-dev-ConfirmationSchedule-XYZ',
};

export function describeStacksResponse(outputs: Record<string, string> = STACK_OUTPUTS) {
  return {
    Stacks: [
      {
        StackName: 'Txconfirm-dev',
        StackStatus: 'UPDATE_COMPLETE' as const,
        CreationTime: new Date('2024-01-01T00:00:00Z'),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({
          OutputKey,
          OutputValue,
        })),
      },
    ],
  };
}

export interface Captured {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `txc <argv>` with captured output and no real waiting, in an environment without
 * TXC_ENDPOINT (unless `deps.env` says otherwise), laid out for `columns` (default 80).
 */
export async function txc(
  argv: string[],
  deps: Omit<TxcDeps, 'io'> & { columns?: number } = {},
  program?: (deps: TxcDeps) => Command,
): Promise<Captured> {
  let out = '';
  let err = '';
  const { columns, ...rest } = deps;
  const allDeps: TxcDeps = {
    sleep: async () => undefined,
    env: {},
    ...rest,
    io: {
      out: (s) => (out += s),
      err: (s) => (err += s),
      ...(columns === undefined ? {} : { columns }),
    },
  };
  const code = await runTxc(argv, allDeps, program?.(allDeps));
  return { code, out, err };
}

/** A `key: value` line of the human output, whatever the alignment. */
export function line(key: string, value: string | number): RegExp {
  const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escape(key)}: +${escape(String(value))}$`, 'm');
}

/** A stand-in for `txc local serve`: the target document, the schedule switch, and a Step Functions call. */
export async function fakeLocalEndpoint(
  schedule: { expression: string; state: string } | null,
  overrides: {
    dynamodbEndpoint?: string;
    tables?: Record<string, string>;
    shardCount?: number;
  } = {},
) {
  const requests: { method: string; url: string; target?: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const amzTarget = req.headers['x-amz-target'];
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        ...(typeof amzTarget === 'string' ? { target: amzTarget } : {}),
        body,
      });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'GET' && req.url === '/txconfirm/target') {
        res.end(
          JSON.stringify({
            mode: 'local',
            region: 'us-east-1',
            stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:txconfirm-dev',
            stateMachineName: 'txconfirm-dev',
            dynamodbEndpoint: overrides.dynamodbEndpoint ?? 'http://127.0.0.1:9',
            providerUrl: 'http://127.0.0.1:10',
            tables: overrides.tables ?? {
              transactions: 'Transactions',
              runs: 'Runs',
              pendingIndex: 'pending-by-shard',
            },
            shardCount: overrides.shardCount ?? 16,
            schedule,
          }),
        );
      } else if (req.method === 'POST' && req.url === '/txconfirm/schedule') {
        const state = (JSON.parse(body) as { state: string }).state;
        if (schedule) schedule.state = state;
        res.end(JSON.stringify({ state }));
      } else if (amzTarget === 'AWSStepFunctions.StartExecution') {
        res.setHeader('content-type', 'application/x-amz-json-1.0');
        res.end(
          JSON.stringify({
            executionArn: 'arn:aws:states:us-east-1:000000000000:execution:txconfirm-dev:x1',
            startDate: 1714557600,
          }),
        );
      } else if (amzTarget === 'AWSStepFunctions.DescribeExecution') {
        // Every execution asked for has ended: a run that confirmed nothing.
        const { executionArn } = JSON.parse(body) as { executionArn: string };
        const name = executionArn.split(':').pop() ?? '';
        res.setHeader('content-type', 'application/x-amz-json-1.0');
        res.end(
          JSON.stringify({
            executionArn,
            name,
            stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:txconfirm-dev',
            status: 'SUCCEEDED',
            startDate: 1714557600,
            stopDate: 1714557601,
            input: '{}',
            output: JSON.stringify({
              runId: `20240501T100000Z-${name}`,
              status: 'SUCCEEDED',
              startedAt: '2024-05-01T10:00:00.000Z',
              finishedAt: '2024-05-01T10:00:01.000Z',
              durationMs: 1000,
              dryRun: false,
              totals: { pages: 1, fetched: 0 },
            }),
          }),
        );
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Lines of `text` longer than `width` characters (code points), for the width checks. */
export function overlong(text: string, width = 80): string[] {
  return text.split('\n').filter((l) => [...l].length > width);
}

/**
 * Every `npm run txc -- …` command printed in `text` (a hint on lines of its own, with ` \`
 * continuations, or inline between backquotes), as printed.
 */
export function printedCommands(text: string): string[] {
  const commands: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const at = lines[i].indexOf('npm run txc -- ');
    if (at < 0) continue;
    let command = lines[i].slice(at);
    const tick = at > 0 && lines[i][at - 1] === '`' ? command.indexOf('`') : -1;
    if (tick >= 0) command = command.slice(0, tick);
    while (command.endsWith(' \\') && i + 1 < lines.length) {
      i += 1;
      command = `${command}\n${lines[i]}`;
    }
    commands.push(command);
  }
  return commands;
}

/**
 * The argv a POSIX shell makes of a printed `npm run txc -- …` command (quotes, backslash-newline
 * continuations), without `npm run txc --`. Throws on anything a shell would treat specially.
 */
export function shellArgv(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < command.length; i += 1) {
    const c = command[i];
    if (c === '\\' && command[i + 1] === '\n') {
      i += 1;
    } else if (c === ' ' || c === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${command}`);
      word = (word ?? '') + command.slice(i + 1, end);
      i = end;
    } else if (c === '\\') {
      word = (word ?? '') + command[i + 1];
      i += 1;
    } else if (/[|&;<>()$`"*?[\]#~{}]/.test(c) && word === undefined) {
      throw new Error(`a shell would not pass ${JSON.stringify(c)} through as is: ${command}`);
    } else if (/[|&;<>()$`"*?[\]{}]/.test(c)) {
      throw new Error(`a shell would not pass ${JSON.stringify(c)} through as is: ${command}`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  const [npm, run, script, dashes, ...argv] = words;
  if (`${npm} ${run} ${script} ${dashes}` !== 'npm run txc --') {
    throw new Error(`not an npm run txc -- command: ${command}`);
  }
  return argv;
}

/** A local endpoint whose target document points `txc --local` at this dynalite store. */
export function storeEndpoint(store: Store): ReturnType<typeof fakeLocalEndpoint> {
  return fakeLocalEndpoint(null, {
    dynamodbEndpoint: store.endpoint,
    tables: { ...store.tableNames },
    shardCount: TEST_SHARD_COUNT,
  });
}
