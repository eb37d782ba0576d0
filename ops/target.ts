/**
 * Where `txc` acts: a deployed stack (`--stage`, outputs read with CloudFormation) or the local
 * endpoint (`--local`, `txc local serve`). Commands see the same `Target` either way: a Step
 * Functions client, a DynamoDB document client, the schedule's pause/resume, and the names.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  type Output,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  LOCAL_SCHEDULE_PATH,
  LOCAL_TARGET_PATH,
  type LocalTargetDescription,
} from '../local/aws/local-endpoint-contract';
import { localServeCommand, selectTarget, type TargetOptions } from './target-spec';
import {
  EndpointUnreachable,
  LocalEndpointInvalid,
  MissingStackOutput,
  RegionMissing,
  ScheduleNotConfigured,
  StackNotFound,
} from './errors';

export type ScheduleStateValue = 'ENABLED' | 'DISABLED';

export interface ScheduleInfo {
  /** The schedule's name (AWS) or `local` (the endpoint's own scheduler). */
  name: string;
  expression: string;
  state: ScheduleStateValue;
  /** ScheduleExpressionTimezone (AWS; absent means UTC). */
  timezone?: string;
  /** The next time it fires (local: the endpoint's scheduler says; absent on AWS or when paused). */
  nextFireTime?: string;
}

/** Pause/resume of the schedule that starts the workflow. */
export interface SchedulerControl {
  describe(): Promise<ScheduleInfo>;
  /** Sets the state; `changed` is false when it already was in that state (nothing was sent). */
  setState(
    state: ScheduleStateValue,
  ): Promise<{ before: ScheduleInfo; after: ScheduleInfo; changed: boolean }>;
}

export interface TargetNames {
  stateMachineArn: string;
  transactionsTable: string;
  runsTable: string;
  /** The sparse, sharded GSI: partition `pendingShard`, sort `createdAt`, keys only. */
  pendingIndex: string;
  shardCount: number;
  /** Absent when the target has no schedule (a local endpoint started with --no-schedule). */
  scheduleName?: string;
}

/** What a deployed stack says about itself, for the commands that need more than the names. */
export interface AwsStackDetails {
  stackName: string;
  region: string;
  /** StackStatus, e.g. UPDATE_COMPLETE. */
  status?: string;
  /** Every output of the stack, by key (older stacks lack the newer ones). */
  outputs: Readonly<Record<string, string>>;
  /** Region and profile of the target, for clients of other services (`txc doctor`). */
  clientConfig: { region: string; profile?: string };
}

/** The local endpoint and its self-description, for the commands that need more than the names. */
export interface LocalEndpointDetails {
  endpoint: string;
  info: LocalTargetInfo;
  /** Dummies the loopback services accept; they keep the SDK from looking for real ones. */
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface Target {
  kind: 'aws' | 'local';
  /** Human description: `stack Txconfirm-dev (eu-west-1)` or `local endpoint http://…`. */
  label: string;
  sfn: SFNClient;
  ddb: DynamoDBDocumentClient;
  scheduler: SchedulerControl;
  names: TargetNames;
  /** Set when kind is 'aws'. */
  aws?: AwsStackDetails;
  /** Set when kind is 'local'. */
  local?: LocalEndpointDetails;
  /**
   * Closes the target's clients, in-flight requests included: a command that gives up on a call
   * (`txc doctor`'s time bound) must not keep the process alive until that call ends.
   */
  close(): void;
}

export {
  DEFAULT_LOCAL_ENDPOINT,
  DEFAULT_STAGE,
  LOCAL_ENDPOINT_ENV,
  type TargetOptions,
  type TargetSpec,
} from './target-spec';

export interface ResolveTargetDeps {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

export function stackNameOf(stage: string): string {
  return `Txconfirm-${stage}`;
}

/**
 * The target of these flags (ops/target-spec.ts selectTarget: `--endpoint`, `--local`, stack
 * flags, then `$TXC_ENDPOINT`, then stack Txconfirm-dev), resolved.
 */
export async function resolveTarget(
  options: TargetOptions,
  deps: ResolveTargetDeps = {},
): Promise<Target> {
  const { spec } = selectTarget(options, deps.env ?? process.env);
  if (spec.kind === 'local') return resolveLocalTarget(spec.endpoint, deps.fetch ?? fetch);
  return resolveAwsTarget(spec);
}

const documentClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

// ---- AWS ------------------------------------------------------------------------------------

/** Stack outputs the CLI reads (lib/txconfirm-stack.ts). */
export const STACK_OUTPUTS = {
  stateMachineArn: 'StateMachineArn',
  transactionsTable: 'TransactionsTableName',
  runsTable: 'RunsTableName',
  pendingIndex: 'PendingIndexName',
  shardCount: 'PendingShardCount',
  scheduleName: 'ScheduleName',
  // Read by `txc doctor` only; a stack deployed before they existed lacks them (that check fails).
  alarmTopicArn: 'AlarmTopicArn',
  externalAlarmTopicArn: 'ExternalAlarmTopicArn',
  providerSecretId: 'ProviderSecretId',
  providerSecretArn: 'ProviderSecretArn',
  providerBaseUrl: 'ProviderBaseUrl',
  providerTimeoutMs: 'ProviderTimeoutMs',
  scheduleDeadLetterQueueUrl: 'ScheduleDeadLetterQueueUrl',
  releaseLockDeadLetterQueueUrl: 'ReleaseLockDeadLetterQueueUrl',
  oldestPendingAgeSloSeconds: 'OldestPendingAgeSloSeconds',
} as const;

export interface AwsTargetOptions {
  stage: string;
  region?: string;
  profile?: string;
}

function isRegionMissing(err: unknown): boolean {
  return err instanceof Error && /region is missing/i.test(err.message);
}

/** Reads the outputs of `Txconfirm-<stage>`; clients use the standard SDK chain (plus --region/--profile). */
export async function resolveAwsTarget(options: AwsTargetOptions): Promise<Target> {
  const config = {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  };
  const cloudFormation = new CloudFormationClient(config);
  let region: string;
  try {
    region = await cloudFormation.config.region();
  } catch (err) {
    if (isRegionMissing(err)) throw new RegionMissing();
    throw err;
  }
  if (!region) throw new RegionMissing();
  const stackName = stackNameOf(options.stage);

  let outputs: Output[];
  let status: string | undefined;
  try {
    const response = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = response.Stacks?.[0];
    if (stack === undefined) throw new StackNotFound(stackName, region);
    outputs = stack.Outputs ?? [];
    status = stack.StackStatus;
  } catch (err) {
    if (isRegionMissing(err)) throw new RegionMissing();
    // CloudFormation answers a missing stack with a ValidationError "Stack with id X does not exist".
    if (err instanceof Error && /does not exist/.test(err.message)) {
      throw new StackNotFound(stackName, region);
    }
    throw err;
  }
  const output = (key: string): string | undefined =>
    outputs.find((o) => o.OutputKey === key)?.OutputValue;
  const required = (key: string): string => {
    const value = output(key);
    if (value === undefined || value === '') throw new MissingStackOutput(stackName, key);
    return value;
  };
  const shardText = required(STACK_OUTPUTS.shardCount);
  const shardCount = Number(shardText);
  if (!/^\d+$/.test(shardText) || shardCount < 1) {
    throw new MissingStackOutput(
      stackName,
      STACK_OUTPUTS.shardCount,
      `has a non-integer (${JSON.stringify(shardText)}) output`,
    );
  }
  const scheduleName = output(STACK_OUTPUTS.scheduleName);
  const names: TargetNames = {
    stateMachineArn: required(STACK_OUTPUTS.stateMachineArn),
    transactionsTable: required(STACK_OUTPUTS.transactionsTable),
    runsTable: required(STACK_OUTPUTS.runsTable),
    pendingIndex: required(STACK_OUTPUTS.pendingIndex),
    shardCount,
    ...(scheduleName === undefined ? {} : { scheduleName }),
  };
  const clientConfig = { ...config, region };
  const sfn = new SFNClient(clientConfig);
  const ddb = documentClient(new DynamoDBClient(clientConfig));
  const schedulerClient =
    scheduleName === undefined ? undefined : new SchedulerClient(clientConfig);
  const outputValues: Record<string, string> = {};
  for (const o of outputs) {
    if (o.OutputKey !== undefined && o.OutputValue !== undefined) {
      outputValues[o.OutputKey] = o.OutputValue;
    }
  }
  return {
    kind: 'aws',
    label: `stack ${stackName} (${region})`,
    sfn,
    ddb,
    scheduler:
      schedulerClient === undefined || scheduleName === undefined
        ? noSchedule(`stack ${stackName} has no ${STACK_OUTPUTS.scheduleName} output — redeploy it`)
        : awsSchedulerControl(schedulerClient, scheduleName),
    names,
    aws: {
      stackName,
      region,
      ...(status === undefined ? {} : { status }),
      outputs: outputValues,
      clientConfig,
    },
    close: () => {
      sfn.destroy();
      ddb.destroy();
      schedulerClient?.destroy();
    },
  };
}

function noSchedule(message: string): SchedulerControl {
  const fail = async (): Promise<never> => {
    throw new ScheduleNotConfigured(message);
  };
  return { describe: fail, setState: fail };
}

function scheduleInfo(schedule: GetScheduleCommandOutput, name: string): ScheduleInfo {
  return {
    name: schedule.Name ?? name,
    expression: schedule.ScheduleExpression ?? '',
    state: schedule.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
    ...(schedule.ScheduleExpressionTimezone === undefined
      ? {}
      : { timezone: schedule.ScheduleExpressionTimezone }),
  };
}

/**
 * EventBridge Scheduler: UpdateSchedule replaces the whole definition, so the current one is read
 * with GetSchedule and sent back complete with only the State changed.
 */
export function awsSchedulerControl(
  client: SchedulerClient,
  name: string,
  groupName?: string,
): SchedulerControl {
  const get = () =>
    client.send(
      new GetScheduleCommand({
        Name: name,
        ...(groupName === undefined ? {} : { GroupName: groupName }),
      }),
    );
  return {
    describe: async () => scheduleInfo(await get(), name),
    setState: async (state) => {
      const current = await get();
      const before = scheduleInfo(current, name);
      if (current.State === state) return { before, after: before, changed: false };
      await client.send(
        new UpdateScheduleCommand({
          Name: current.Name ?? name,
          GroupName: current.GroupName,
          ScheduleExpression: current.ScheduleExpression,
          ScheduleExpressionTimezone: current.ScheduleExpressionTimezone,
          StartDate: current.StartDate,
          EndDate: current.EndDate,
          Description: current.Description,
          KmsKeyArn: current.KmsKeyArn,
          Target: current.Target,
          FlexibleTimeWindow: current.FlexibleTimeWindow,
          ActionAfterCompletion: current.ActionAfterCompletion,
          State: state,
        }),
      );
      return { before, after: { ...before, state }, changed: true };
    },
  };
}

// ---- local ----------------------------------------------------------------------------------

export { LOCAL_SCHEDULE_PATH, LOCAL_TARGET_PATH };

/** Fields only `txc doctor` needs: an endpoint started by an older txc lacks them. */
type DoctorFields = 'providerTimeoutMs' | 'secretsManager' | 'oldestPendingAgeSloSeconds';

/**
 * What the CLI reads of the endpoint's LocalTargetDescription. Derived from the shared contract,
 * so a field renamed on the endpoint's side fails the type check of the schema below instead of
 * `txc --local` at run time. The doctor's fields and the schedule's next fire time are optional:
 * every other command works with an endpoint that predates them.
 */
export type LocalTargetInfo = Omit<LocalTargetDescription, 'schedule' | DoctorFields> &
  Partial<Pick<LocalTargetDescription, DoctorFields>> & {
    schedule:
      | (Omit<NonNullable<LocalTargetDescription['schedule']>, 'nextFireTime'> & {
          nextFireTime?: string | null;
        })
      | null;
  };

/** `GET <endpoint>/txconfirm/target` of `txc local serve`, checked before any command uses it. */
export const localTargetSchema = z.object({
  mode: z.literal('local'),
  region: z.string().min(1),
  stateMachineArn: z.string().min(1),
  stateMachineName: z.string().min(1),
  dynamodbEndpoint: z.string().min(1),
  providerUrl: z.string(),
  providerTimeoutMs: z.number().int().positive().optional(),
  secretsManager: z.object({ endpoint: z.string().min(1), secretId: z.string().min(1) }).optional(),
  oldestPendingAgeSloSeconds: z.number().positive().nullable().optional(),
  tables: z.object({
    transactions: z.string().min(1),
    runs: z.string().min(1),
    pendingIndex: z.string().min(1),
  }),
  shardCount: z.number().int().min(1),
  schedule: z
    .object({
      expression: z.string(),
      state: z.enum(['ENABLED', 'DISABLED']),
      nextFireTime: z.string().nullable().optional(),
    })
    .nullable(),
}) satisfies z.ZodType<LocalTargetInfo>;

const LOCAL_REQUEST_TIMEOUT_MS = 5000;
/** The local services accept any credentials; these keep the SDK from looking for real ones. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

async function localRequest(
  fetchImpl: typeof fetch,
  endpoint: string,
  path: string,
  init: RequestInit = {},
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchImpl(`${endpoint}${path}`, {
      ...init,
      signal: AbortSignal.timeout(LOCAL_REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new EndpointUnreachable(endpoint, { cause: err, serve: localServeCommand(endpoint) });
  }
  const text = await response.text();
  if (!response.ok) {
    throw new LocalEndpointInvalid(
      `${endpoint}${path} answered HTTP ${response.status} — is ${endpoint} a \`txc local serve\` endpoint? ${text.slice(0, 200)}`.trim(),
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new LocalEndpointInvalid(`${endpoint}${path} did not answer JSON`);
  }
}

async function fetchLocalTarget(
  fetchImpl: typeof fetch,
  endpoint: string,
): Promise<LocalTargetInfo> {
  const body = await localRequest(fetchImpl, endpoint, LOCAL_TARGET_PATH);
  const parsed = localTargetSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LocalEndpointInvalid(
      `${endpoint}${LOCAL_TARGET_PATH}: ${issue.path.join('.') || 'body'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

export function localSchedulerControl(fetchImpl: typeof fetch, endpoint: string): SchedulerControl {
  const describe = async (): Promise<ScheduleInfo> => {
    const info = await fetchLocalTarget(fetchImpl, endpoint);
    if (info.schedule === null) {
      throw new ScheduleNotConfigured(
        `the local endpoint at ${endpoint} runs without a schedule (started with --no-schedule)`,
      );
    }
    const next = info.schedule.nextFireTime;
    return {
      name: 'local',
      expression: info.schedule.expression,
      state: info.schedule.state,
      ...(typeof next === 'string' ? { nextFireTime: next } : {}),
    };
  };
  return {
    describe,
    setState: async (state) => {
      const before = await describe();
      if (before.state === state) return { before, after: before, changed: false };
      const body = await localRequest(fetchImpl, endpoint, LOCAL_SCHEDULE_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ state }),
      });
      const answered = z.object({ state: z.enum(['ENABLED', 'DISABLED']) }).safeParse(body);
      if (!answered.success) {
        throw new LocalEndpointInvalid(
          `${endpoint}${LOCAL_SCHEDULE_PATH} answered ${JSON.stringify(body)}`,
        );
      }
      // Described again: the next fire time moves with the state (none while paused).
      return { before, after: await describe(), changed: true };
    },
  };
}

/** The target of `txc --local`: the endpoint describes itself at GET /txconfirm/target. */
export async function resolveLocalTarget(
  endpoint: string,
  fetchImpl: typeof fetch = fetch,
): Promise<Target> {
  const info = await fetchLocalTarget(fetchImpl, endpoint);
  const common = { region: info.region, credentials: LOCAL_CREDENTIALS };
  const sfn = new SFNClient({ ...common, endpoint });
  const ddb = documentClient(new DynamoDBClient({ ...common, endpoint: info.dynamodbEndpoint }));
  return {
    kind: 'local',
    label: `local endpoint ${endpoint}`,
    sfn,
    ddb,
    scheduler: localSchedulerControl(fetchImpl, endpoint),
    names: {
      stateMachineArn: info.stateMachineArn,
      transactionsTable: info.tables.transactions,
      runsTable: info.tables.runs,
      pendingIndex: info.tables.pendingIndex,
      shardCount: info.shardCount,
      ...(info.schedule === null ? {} : { scheduleName: 'local' }),
    },
    local: { endpoint, info, credentials: LOCAL_CREDENTIALS },
    close: () => {
      sfn.destroy();
      ddb.destroy();
    },
  };
}
