/**
 * Reads the state machine and its Lambda functions out of a synthesized CloudFormation template,
 * so that tests and the local runtime execute exactly what CDK synthesized (docs/architecture.md §6: one
 * source of truth, no hand-written second copy of the ASL).
 *
 * Dependency-free and fast: it takes the template object (or reads cdk.out) and never synthesizes.
 * CloudFormation intrinsics are resolved into deterministic strings: physical names are the
 * logical ids (CloudFormation would add a random suffix), pseudo parameters come from the options.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HANDLER_METADATA_KEY, type HandlerMetadata } from '../../lib/handler-metadata';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Parameters?: Record<string, { readonly Default?: unknown }>;
}

/** Values of the pseudo parameters. The defaults match the offline test environment. */
export interface PseudoParameters {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly urlSuffix: string;
  readonly stackName: string;
}

export const DEFAULT_PSEUDO_PARAMETERS: PseudoParameters = {
  partition: 'aws',
  region: 'us-east-1',
  accountId: '000000000000',
  urlSuffix: 'amazonaws.com',
  stackName: 'Txconfirm-local',
};

export interface SynthesizedFunction {
  readonly logicalId: string;
  /** FunctionName, or the logical id when CloudFormation would generate it. */
  readonly functionName: string;
  readonly arn: string;
  /** Handler entry relative to the project root (`lambdas/handlers/start-run.ts`), from the resource metadata. */
  readonly entry: string | undefined;
  /** Exported handler name (`handler`). */
  readonly handlerExport: string | undefined;
  /** Environment variables with every intrinsic resolved (table names are logical ids). */
  readonly environment: Record<string, string>;
  readonly timeoutSeconds: number | undefined;
}

export interface SynthesizedDefinition {
  readonly stateMachineLogicalId: string;
  readonly stateMachineName: string;
  readonly stateMachineArn: string;
  /** The parsed Amazon States Language document, every token resolved. */
  readonly definition: AslDefinition;
  /** Every Lambda function of the template, keyed by its resolved ARN (as the ASL names it). */
  readonly functionsByArn: Readonly<Record<string, SynthesizedFunction>>;
}

/** An ASL document; deliberately loose (the local runtime and the tests read what they need). */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly TimeoutSeconds?: number;
  readonly [key: string]: unknown;
}
export type AslState = Record<string, unknown> & { readonly Type: string };

export class TemplateResolutionError extends Error {
  override readonly name = 'TemplateResolutionError';
}

export interface SynthesizedDefinitionOptions {
  readonly pseudo?: Partial<PseudoParameters>;
  /** Which state machine, when the template has several. */
  readonly stateMachineLogicalId?: string;
}

/** Reads `<cdkOut>/<stackName>.template.json`. */
export function readSynthesizedTemplate(cdkOutDir: string, stackName: string): CfnTemplate {
  const file = path.join(cdkOutDir, `${stackName}.template.json`);
  if (!fs.existsSync(file)) {
    throw new TemplateResolutionError(
      `No synthesized template at ${file}: run \`npx cdk synth --quiet\` (stack ${stackName}) first`,
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate;
}

/** The state machine's ASL and the functions it (and the rest of the stack) invokes. */
export function synthesizedDefinition(
  template: CfnTemplate,
  options: SynthesizedDefinitionOptions = {},
): SynthesizedDefinition {
  const resolver = new IntrinsicResolver(template, options.pseudo);
  const logicalId = options.stateMachineLogicalId ?? findSingle(template, STATE_MACHINE);
  const resource = template.Resources[logicalId];
  if (!resource || resource.Type !== STATE_MACHINE) {
    throw new TemplateResolutionError(`${logicalId} is not an ${STATE_MACHINE} of this template`);
  }
  const props = resource.Properties ?? {};

  let definition: unknown;
  if (props.DefinitionString !== undefined) {
    let text = resolver.resolveString(props.DefinitionString, `${logicalId}.DefinitionString`);
    const substitutions = (props.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(substitutions)) {
      const resolved = resolver.resolveString(value, `${logicalId}.DefinitionSubstitutions.${key}`);
      text = text.split('${' + key + '}').join(resolved);
    }
    definition = JSON.parse(text);
  } else if (props.Definition !== undefined) {
    definition = resolver.resolve(props.Definition, `${logicalId}.Definition`);
  } else {
    throw new TemplateResolutionError(
      `${logicalId} has neither DefinitionString nor Definition (DefinitionS3Location is not supported offline)`,
    );
  }

  const functionsByArn: Record<string, SynthesizedFunction> = {};
  for (const [id, fn] of Object.entries(template.Resources)) {
    if (fn.Type !== LAMBDA_FUNCTION) continue;
    const f = describeFunction(resolver, id, fn);
    functionsByArn[f.arn] = f;
  }

  return {
    stateMachineLogicalId: logicalId,
    stateMachineName: resolver.physicalName(logicalId),
    stateMachineArn: resolver.resolveString({ Ref: logicalId }, logicalId),
    definition: definition as AslDefinition,
    functionsByArn,
  };
}

/** Resolves the intrinsics in any template value (environment, event patterns, ...). */
export function resolveIntrinsics(
  template: CfnTemplate,
  value: unknown,
  pseudo?: Partial<PseudoParameters>,
): unknown {
  return new IntrinsicResolver(template, pseudo).resolve(value, 'value');
}

const STATE_MACHINE = 'AWS::StepFunctions::StateMachine';
const LAMBDA_FUNCTION = 'AWS::Lambda::Function';

function findSingle(template: CfnTemplate, type: string): string {
  const ids = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
  if (ids.length !== 1) {
    throw new TemplateResolutionError(
      `Expected exactly one ${type} in the template, found ${ids.length}${ids.length ? ` (${ids.join(', ')})` : ''}: pass stateMachineLogicalId`,
    );
  }
  return ids[0];
}

function describeFunction(
  resolver: IntrinsicResolver,
  logicalId: string,
  resource: CfnResource,
): SynthesizedFunction {
  const props = resource.Properties ?? {};
  const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)
    ?.Variables ?? {}) as Record<string, unknown>;
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    environment[name] = resolver.resolveString(value, `${logicalId}.Environment.${name}`);
  }
  const handler = resource.Metadata?.[HANDLER_METADATA_KEY] as HandlerMetadata | undefined;
  return {
    logicalId,
    functionName: resolver.physicalName(logicalId),
    arn: resolver.resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] }, logicalId),
    entry: handler?.entry,
    handlerExport: handler?.export,
    environment,
    timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : undefined,
  };
}

/** Physical-name property of the resource types whose names appear in ARNs. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Events::Rule': 'Name',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::S3::Bucket': 'BucketName',
};

class IntrinsicResolver {
  private readonly pseudo: PseudoParameters;

  constructor(
    private readonly template: CfnTemplate,
    pseudo: Partial<PseudoParameters> = {},
  ) {
    this.pseudo = { ...DEFAULT_PSEUDO_PARAMETERS, ...pseudo };
  }

  resolveString(value: unknown, where: string): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved !== 'string') {
      throw new TemplateResolutionError(
        `${where} resolved to ${typeof resolved}, expected a string`,
      );
    }
    return resolved;
  }

  resolve(value: unknown, where: string): unknown {
    if (Array.isArray(value)) return value.map((v, i) => this.resolve(v, `${where}[${i}]`));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0];
      switch (key) {
        case 'Ref':
          return this.ref(String(arg), where);
        case 'Fn::GetAtt':
          return this.getAtt(arg, where);
        case 'Fn::Join': {
          const [separator, list] = arg as [string, unknown];
          const items = this.resolve(list, where);
          if (!Array.isArray(items)) throw this.unsupported(key, where);
          return items.map((item) => this.asString(item, where)).join(separator);
        }
        case 'Fn::Sub':
          return this.sub(arg, where);
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          const items = this.resolve(list, where);
          const i = Number(this.resolve(index, where));
          if (!Array.isArray(items) || !(i in items)) throw this.unsupported(key, where);
          return items[i];
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, unknown];
          return this.resolveString(source, where).split(separator);
        }
        default:
          if (key.startsWith('Fn::') || key === 'Condition') throw this.unsupported(key, where);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) out[k] = this.resolve(v, `${where}.${k}`);
    return out;
  }

  /** What CloudFormation would name the resource: its name property, else its logical id. */
  physicalName(logicalId: string): string {
    const resource = this.resource(logicalId, logicalId);
    const property = NAME_PROPERTY[resource.Type];
    const explicit = property ? resource.Properties?.[property] : undefined;
    if (explicit !== undefined) return this.resolveString(explicit, `${logicalId}.${property}`);
    // CloudFormation names an unnamed bucket in lower case (S3 allows nothing else).
    return resource.Type === 'AWS::S3::Bucket' ? logicalId.toLowerCase().slice(0, 63) : logicalId;
  }

  private ref(name: string, where: string): unknown {
    switch (name) {
      case 'AWS::Partition':
        return this.pseudo.partition;
      case 'AWS::Region':
        return this.pseudo.region;
      case 'AWS::AccountId':
        return this.pseudo.accountId;
      case 'AWS::URLSuffix':
        return this.pseudo.urlSuffix;
      case 'AWS::StackName':
        return this.pseudo.stackName;
      case 'AWS::StackId':
        // A fixed id in CloudFormation's shape (…:stack/<name>/<uuid>): names derived from it
        // (the log groups' suffix) resolve the same way every time.
        return `arn:${this.pseudo.partition}:cloudformation:${this.pseudo.region}:${this.pseudo.accountId}:stack/${this.pseudo.stackName}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::NoValue':
        return undefined;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) {
        throw new TemplateResolutionError(
          `${where}: parameter ${name} has no Default to resolve offline`,
        );
      }
      return parameter.Default;
    }
    const resource = this.resource(name, where);
    switch (resource.Type) {
      case 'AWS::StepFunctions::StateMachine': // Ref is the ARN
        return this.arn(name, resource);
      case 'AWS::SQS::Queue': // Ref is the URL
        return `https://sqs.${this.pseudo.region}.${this.pseudo.urlSuffix}/${this.pseudo.accountId}/${this.physicalName(name)}`;
      default:
        return this.physicalName(name);
    }
  }

  private getAtt(arg: unknown, where: string): unknown {
    const [logicalId, attribute] =
      typeof arg === 'string' ? (arg.split('.', 2) as [string, string]) : (arg as [string, string]);
    const resource = this.resource(logicalId, where);
    if (attribute === 'Arn') return this.arn(logicalId, resource);
    if (attribute === 'Name' || attribute === 'QueueName' || attribute === 'TableName') {
      return this.physicalName(logicalId);
    }
    throw new TemplateResolutionError(
      `${where}: Fn::GetAtt ${logicalId}.${attribute} (${resource.Type}) cannot be resolved offline`,
    );
  }

  private arn(logicalId: string, resource: CfnResource): string {
    const { partition: p, region: r, accountId: a } = this.pseudo;
    const name = this.physicalName(logicalId);
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        return `arn:${p}:lambda:${r}:${a}:function:${name}`;
      case 'AWS::DynamoDB::Table':
        return `arn:${p}:dynamodb:${r}:${a}:table/${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${p}:states:${r}:${a}:stateMachine:${name}`;
      case 'AWS::SQS::Queue':
        return `arn:${p}:sqs:${r}:${a}:${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${p}:logs:${r}:${a}:log-group:${name}:*`;
      case 'AWS::IAM::Role':
        return `arn:${p}:iam::${a}:role/${name}`;
      case 'AWS::Events::Rule':
        return `arn:${p}:events:${r}:${a}:rule/${name}`;
      case 'AWS::Scheduler::Schedule':
        return `arn:${p}:scheduler:${r}:${a}:schedule/default/${name}`;
      case 'AWS::KMS::Key':
        return `arn:${p}:kms:${r}:${a}:key/${name}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:${p}:secretsmanager:${r}:${a}:secret:${name}`;
      case 'AWS::SNS::Topic':
        return `arn:${p}:sns:${r}:${a}:${name}`;
      case 'AWS::S3::Bucket':
        return `arn:${p}:s3:::${name}`;
      default:
        throw new TemplateResolutionError(
          `Fn::GetAtt ${logicalId}.Arn: no offline ARN format for ${resource.Type}`,
        );
    }
  }

  private sub(arg: unknown, where: string): string {
    const [text, variables] =
      typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
    return text.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
      if (name.startsWith('!')) return '${' + name.slice(1) + '}'; // ${!Literal}
      if (name in variables) return this.asString(this.resolve(variables[name], where), where);
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [id, attribute] = name.split('.', 2);
        return this.asString(this.getAtt([id, attribute], where), where);
      }
      return this.asString(this.ref(name, where), where);
    });
  }

  private resource(logicalId: string, where: string): CfnResource {
    const resource = this.template.Resources[logicalId];
    if (!resource)
      throw new TemplateResolutionError(`${where}: no resource ${logicalId} in the template`);
    return resource;
  }

  private asString(value: unknown, where: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new TemplateResolutionError(`${where}: expected a string, got ${JSON.stringify(value)}`);
  }

  private unsupported(intrinsic: string, where: string): TemplateResolutionError {
    return new TemplateResolutionError(`${where}: ${intrinsic} cannot be resolved offline`);
  }
}
