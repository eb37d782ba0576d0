import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { runTxc, type TxcDeps } from '../../ops/program';

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

/** Runs `txc <argv>` with captured output and no real waiting. */
export async function txc(
  argv: string[],
  deps: Omit<TxcDeps, 'io'> = {},
  program?: (deps: TxcDeps) => Command,
): Promise<Captured> {
  let out = '';
  let err = '';
  const allDeps: TxcDeps = {
    sleep: async () => undefined,
    ...deps,
    io: { out: (s) => (out += s), err: (s) => (err += s) },
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
