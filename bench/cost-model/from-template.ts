/** The cost model's configuration, read from a synthesized txconfirm template. */
import { ENV } from '../../lambdas/contracts';
import { DEFAULT_MAX_ITEMS } from '../../lambdas/domain/execution-input';
import { schedulePeriodSeconds } from '../../lib/config';
import { TransactionsTable } from '../../lib/transactions-table';
import { type CfnTemplate, synthesizedDefinition } from '../../local/stack/synthesized-definition';
import { type CostConfig, CostModelError, type FunctionSpec, type VpcShape } from './types';
import { handlerName, workflowShape } from './workflow-walk';

/** Reads everything the model needs from a synthesized txconfirm template. */
export function costConfigFromTemplate(template: CfnTemplate): CostConfig {
  const synthesized = synthesizedDefinition(template);
  const workflow = workflowShape(synthesized);

  if (workflow.page.maps.length !== 1) {
    throw new CostModelError(
      `expected one Distributed Map per page, found ${workflow.page.maps.length}`,
    );
  }
  const map = workflow.page.maps[0];

  const functions: Record<string, FunctionSpec> = {};
  const environments: Record<string, Record<string, string>> = {};
  for (const fn of Object.values(synthesized.functionsByArn)) {
    const props = template.Resources[fn.logicalId]?.Properties ?? {};
    const architectures = props.Architectures as string[] | undefined;
    functions[handlerName(fn)] = {
      // 128 MB is Lambda's default when MemorySize is not set.
      memoryMb: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
      architecture: architectures?.[0] === 'arm64' ? 'arm64' : 'x86_64',
    };
    environments[handlerName(fn)] = fn.environment;
  }
  const envInt = (handler: string, name: string): number => {
    const raw = environments[handler]?.[name];
    const value = Number(raw);
    if (raw === undefined || !Number.isSafeInteger(value) || value < 1) {
      throw new CostModelError(
        `the ${handler} function has no positive integer ${name} in its environment (got ${JSON.stringify(raw)})`,
      );
    }
    return value;
  };

  const schedule = scheduleOf(template);
  const stage = Object.values(environments).find((env) => env[ENV.STAGE] !== undefined)?.[
    ENV.STAGE
  ];
  return {
    stage: stage ?? 'unknown',
    pageSize: envInt('fetch-page', ENV.PAGE_SIZE),
    maxPagesPerExecution: envInt('fetch-page', ENV.MAX_PAGES_PER_EXECUTION),
    shardCount: envInt('fetch-page', ENV.SHARD_COUNT),
    inBatchParallelism: envInt('confirm-batch', ENV.IN_BATCH_PARALLELISM),
    batchSize: map.maxItemsPerBatch ?? 1,
    maxConcurrency: map.maxConcurrency,
    childExecutionType: map.executionType,
    schedulePeriodSeconds:
      schedule.expression === undefined ? undefined : schedulePeriodSeconds(schedule.expression),
    scheduleEnabled: schedule.enabled,
    functions,
    workflow,
    maxItemsPerRun: DEFAULT_MAX_ITEMS,
    ...vpcOf(template),
    ...warmThroughputOf(template),
  };
}

/** WarmThroughput write units/s of the transactions table and its pending index, where set. */
function warmThroughputOf(template: CfnTemplate): Pick<CostConfig, 'warmWriteUnitsPerSecond'> {
  type Warm = { WarmThroughput?: { WriteUnitsPerSecond?: number } };
  type Gsi = Warm & { IndexName?: string };
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::DynamoDB::Table') continue;
    const gsis = (resource.Properties?.GlobalSecondaryIndexes ?? []) as Gsi[];
    const pending = gsis.find((g) => g.IndexName === TransactionsTable.PENDING_INDEX_NAME);
    if (pending === undefined) continue;
    const table = (resource.Properties as Warm).WarmThroughput?.WriteUnitsPerSecond;
    const pendingIndex = pending.WarmThroughput?.WriteUnitsPerSecond;
    if (table === undefined && pendingIndex === undefined) return {};
    return {
      warmWriteUnitsPerSecond: {
        ...(table === undefined ? {} : { table }),
        ...(pendingIndex === undefined ? {} : { pendingIndex }),
      },
    };
  }
  return {};
}

/** The VPC of a stage with `vpc: true`: its NAT gateways and endpoints (nothing without one). */
function vpcOf(template: CfnTemplate): { vpc?: VpcShape } {
  const resources = Object.values(template.Resources);
  if (!resources.some((r) => r.Type === 'AWS::EC2::VPC')) return {};
  const endpoints = resources.filter((r) => r.Type === 'AWS::EC2::VPCEndpoint');
  const ofType = (type: string) =>
    endpoints.filter((r) => (r.Properties?.VpcEndpointType ?? 'Gateway') === type);
  return {
    vpc: {
      natGateways: resources.filter((r) => r.Type === 'AWS::EC2::NatGateway').length,
      interfaceEndpoints: ofType('Interface').map((r) => {
        const subnets = r.Properties?.SubnetIds;
        if (!Array.isArray(subnets)) {
          throw new CostModelError('an interface endpoint without a list of SubnetIds');
        }
        return { service: serviceOf(r.Properties?.ServiceName), availabilityZones: subnets.length };
      }),
      gatewayEndpoints: ofType('Gateway').map((r) => serviceOf(r.Properties?.ServiceName)),
    },
  };
}

/** `com.amazonaws.<region>.secretsmanager` (a string or CDK's Fn::Join of it) → `secretsmanager`. */
function serviceOf(serviceName: unknown): string {
  const join = (serviceName as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  const last = join ? join[1][join[1].length - 1] : serviceName;
  if (typeof last !== 'string') {
    throw new CostModelError(`cannot read the endpoint service of ${JSON.stringify(serviceName)}`);
  }
  return last.slice(last.lastIndexOf('.') + 1);
}

function scheduleOf(template: CfnTemplate): { expression?: string; enabled: boolean } {
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Scheduler::Schedule') continue;
    const { ScheduleExpression: expression, State: state } = resource.Properties ?? {};
    return {
      ...(typeof expression === 'string' ? { expression } : {}),
      // CloudFormation's default State is ENABLED.
      enabled: state !== 'DISABLED',
    };
  }
  return { enabled: false };
}
