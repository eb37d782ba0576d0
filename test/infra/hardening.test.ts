// Hardening by configuration (docs/security.md): the stage key of a production stage
// (customerManagedKey), what each function may do with it, and log group names that never collide.
import { AwsSolutionsChecks } from 'cdk-nag';
import type { CfnTemplate } from '../../local/stack/synthesized-definition';
import { devWith } from '../support/stages';
import { logicalIdOf, synthStage } from './synth';

const prod = synthStage('prod');
const dev = synthStage('dev');
// dev's data settings with the key: the key goes with the data (DESTROY), not with the profile.
const devWithKey = synthStage(devWith({ customerManagedKey: true }));

type Resource = CfnTemplate['Resources'][string];
type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Principal?: Record<string, unknown>;
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const ofType = (json: CfnTemplate, type: string): [string, Resource][] =>
  Object.entries(json.Resources).filter(([, r]) => r.Type === type);

// A deployed stack's id, to evaluate the names CloudFormation resolves at deploy time.
const STACK_ID =
  'arn:aws:cloudformation:eu-west-1:123456789012:stack/Txconfirm-prod/1b2c3d4e-5f60-7182-93a4-9f0e1d2c3b4a';
const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '123456789012',
  'AWS::StackId': STACK_ID,
};
/** Evaluates Ref / Fn::Join / Fn::Select / Fn::Split as CloudFormation would; resources stay `<Id>`. */
function evaluate(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(evaluate);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length !== 1) return Object.fromEntries(entries.map(([k, v]) => [k, evaluate(v)]));
  const [key, arg] = entries[0] as [string, unknown];
  switch (key) {
    case 'Ref':
      return PSEUDO[arg as string] ?? `<${String(arg)}>`;
    case 'Fn::GetAtt':
      return `<${(arg as string[]).join('.')}>`;
    case 'Fn::Join': {
      const [separator, list] = arg as [string, unknown];
      return (evaluate(list) as string[]).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [number, unknown];
      return (evaluate(list) as unknown[])[index];
    }
    case 'Fn::Split': {
      const [separator, source] = arg as [string, unknown];
      return String(evaluate(source)).split(separator);
    }
    default:
      return { [key]: evaluate(arg) };
  }
}

const keyId = logicalIdOf(prod.stack.stageKey!.key);
const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
const keyPolicy = (json: CfnTemplate, id: string) =>
  (json.Resources[id].Properties?.KeyPolicy as { Statement: Statement[] }).Statement;

/** Every statement that applies to a function's role (inline and attached). */
function statementsOf(json: CfnTemplate, functionId: string): Statement[] {
  const roleId = (json.Resources[functionId].Properties?.Role as { 'Fn::GetAtt': string[] })[
    'Fn::GetAtt'
  ][0];
  const inline = (
    (json.Resources[roleId].Properties?.Policies ?? []) as {
      PolicyDocument: { Statement: Statement[] };
    }[]
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = ofType(json, 'AWS::IAM::Policy')
    .filter(([, r]) => JSON.stringify(r.Properties?.Roles).includes(`"${roleId}"`))
    .flatMap(([, r]) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

describe('prod: one customer-managed key for the stage', () => {
  const { json, template, stack } = prod;

  it('is the only KMS key (the alarm topic shares it), rotated, and RETAINed with the data', () => {
    expect(ofType(json, 'AWS::KMS::Key').map(([id]) => id)).toEqual([keyId]);
    expect(json.Resources[keyId]).toMatchObject({
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('encrypts both tables', () => {
    for (const table of [stack.transactionsTable, stack.runsTable]) {
      expect(json.Resources[logicalIdOf(table)].Properties?.SSESpecification).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: keyArn,
      });
    }
  });

  it('encrypts every log group: the five functions and the state machine', () => {
    const logGroups = ofType(json, 'AWS::Logs::LogGroup');
    expect(logGroups).toHaveLength(6);
    for (const [, logGroup] of logGroups) expect(logGroup.Properties?.KmsKeyId).toEqual(keyArn);
  });

  it('encrypts the alarm topic', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
  });

  it('key policy: the account (IAM delegation), CloudWatch Logs and CloudWatch alarms, nobody else', () => {
    const principals = keyPolicy(json, keyId).map((s) => evaluate(s.Principal));
    expect(principals).toEqual([
      { AWS: 'arn:aws:iam::123456789012:root' },
      { Service: 'logs.eu-west-1.amazonaws.com' },
      { Service: 'cloudwatch.amazonaws.com' },
    ]);
  });

  it('CloudWatch Logs may use the key for exactly the log groups of this stack, named one by one', () => {
    const logs = keyPolicy(json, keyId).find(
      (s) => s.Sid === 'AllowCloudWatchLogsForThisStagesLogGroups',
    )!;
    expect(actionsOf(logs).filter((a) => a.includes('*'))).toEqual([]);
    const allowed = evaluate(
      logs.Condition?.ArnEquals?.['kms:EncryptionContext:aws:logs:arn'],
    ) as string[];
    const logGroupArns = ofType(json, 'AWS::Logs::LogGroup').map(
      ([, r]) =>
        `arn:aws:logs:eu-west-1:123456789012:log-group:${evaluate(r.Properties?.LogGroupName) as string}`,
    );
    expect([...allowed].sort()).toEqual([...logGroupArns].sort());
  });

  it('CloudWatch alarms may use it only for the alarm topic (SNS names the topic in the context)', () => {
    const cloudwatch = keyPolicy(json, keyId).find(
      (s) => (s.Principal as { Service?: unknown }).Service === 'cloudwatch.amazonaws.com',
    )!;
    const topicName = ofType(json, 'AWS::SNS::Topic')[0][1].Properties?.TopicName as string;
    expect(evaluate(cloudwatch.Condition)).toEqual({
      StringEquals: {
        'kms:EncryptionContext:aws:sns:topicArn': `arn:aws:sns:eu-west-1:123456789012:${topicName}`,
      },
    });
  });

  it.each([
    // [function, table it binds, read-only?]
    ['startRun', 'runs', false],
    ['fetchPage', 'transactions', true],
    ['fetchPage', 'runs', false],
    ['confirmBatch', 'transactions', false],
    ['finishRun', 'runs', false],
    ['releaseLock', 'runs', false],
  ] as const)(
    '%s may use the key for the %s table only through DynamoDB (read-only: %s)',
    (fn, table, readOnly) => {
      const tableId = logicalIdOf(table === 'runs' ? stack.runsTable : stack.transactionsTable);
      const kms = statementsOf(json, logicalIdOf(stack.functions[fn])).filter(
        (s) =>
          actionsOf(s).some((a) => a.startsWith('kms:')) &&
          JSON.stringify(s.Condition ?? {}).includes(`"${tableId}"`),
      );
      const read = ['kms:Decrypt', 'kms:DescribeKey'];
      const write = [
        ...read,
        'kms:Encrypt',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
        'kms:GenerateDataKey',
        'kms:GenerateDataKeyWithoutPlaintext',
      ];
      expect(kms).toEqual([
        {
          Effect: 'Allow',
          Action: readOnly ? read : write,
          Resource: keyArn,
          Condition: {
            StringEquals: {
              'kms:ViaService': {
                'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
              },
            },
            StringEqualsIfExists: {
              'kms:EncryptionContext:aws:dynamodb:tableName': { Ref: tableId },
            },
          },
        },
      ]);
    },
  );

  it('no function may use the key for a table it does not bind, or directly', () => {
    const bound: Record<string, number> = {
      startRun: 1,
      // Its two tables, and the page manifests (through S3).
      fetchPage: 3,
      // Transactions, and Runs for the provider circuit breaker.
      confirmBatch: 2,
      finishRun: 1,
      releaseLock: 1,
    };
    for (const [name, fn] of Object.entries(stack.functions)) {
      const kms = statementsOf(json, logicalIdOf(fn)).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('kms:')),
      );
      // The prod stage reads an existing secret by name (aws/secretsmanager): no secret KMS grant.
      expect(kms).toHaveLength(bound[name]);
      for (const s of kms) expect(s.Condition?.StringEquals?.['kms:ViaService']).toBeDefined();
    }
  });

  /** The stage key through S3, for the manifest bucket only. */
  const throughS3 = (action: string) => ({
    Effect: 'Allow',
    Action: action,
    Resource: keyArn,
    Condition: {
      StringEquals: {
        'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
      },
      StringEqualsIfExists: {
        'kms:EncryptionContext:aws:s3:arn': {
          'Fn::GetAtt': [logicalIdOf(stack.manifestBucket), 'Arn'],
        },
      },
    },
  });

  it('fetchPage may use the key for the page manifests only through S3, to write them', () => {
    const kms = statementsOf(json, logicalIdOf(stack.functions.fetchPage)).filter((s) =>
      JSON.stringify(s.Condition ?? {}).includes('kms:EncryptionContext:aws:s3:arn'),
    );
    expect(kms).toEqual([throughS3('kms:GenerateDataKey')]);
  });

  it('the state machine role may use the key only to decrypt a page manifest through S3', () => {
    const roleId = (
      json.Resources[logicalIdOf(stack.workflow.stateMachine)].Properties?.RoleArn as {
        'Fn::GetAtt': string[];
      }
    )['Fn::GetAtt'][0];
    const statements = ofType(json, 'AWS::IAM::Policy')
      .filter(([, r]) => JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(([, r]) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
    expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')))).toEqual([
      throughS3('kms:Decrypt'),
    ]);
  });

  it('cdk-nag (AwsSolutions) reports nothing unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('log group names never collide', () => {
  const names = (json: CfnTemplate) =>
    ofType(json, 'AWS::Logs::LogGroup').map(
      ([, r]) => evaluate(r.Properties?.LogGroupName) as string,
    );

  it('every log group is named, and each name ends in the suffix of this stack creation', () => {
    expect(names(prod.json).sort()).toEqual(
      [
        '/aws/lambda/txconfirm-prod-confirm-batch-9f0e1d2c3b4a',
        '/aws/lambda/txconfirm-prod-fetch-page-9f0e1d2c3b4a',
        '/aws/lambda/txconfirm-prod-finish-run-9f0e1d2c3b4a',
        '/aws/lambda/txconfirm-prod-release-lock-9f0e1d2c3b4a',
        '/aws/lambda/txconfirm-prod-start-run-9f0e1d2c3b4a',
        '/aws/vendedlogs/states/txconfirm-prod-9f0e1d2c3b4a',
      ].sort(),
    );
  });

  it('the names come from the stack id (a new stack gets new names), not from a fixed string', () => {
    for (const [, logGroup] of ofType(prod.json, 'AWS::Logs::LogGroup')) {
      expect(JSON.stringify(logGroup.Properties?.LogGroupName)).toContain('"AWS::StackId"');
    }
  });
});

describe('a stage with the key but without retainData', () => {
  it('destroys the key with the tables it encrypts', () => {
    const key = logicalIdOf(devWithKey.stack.stageKey!.key);
    expect(devWithKey.json.Resources[key]).toMatchObject({
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Delete',
    });
  });
});

describe('dev: no stage key (AWS-managed keys)', () => {
  const { json, stack } = dev;

  it('has no stage key; the only key is the alarm topic own', () => {
    expect(stack.stageKey).toBeUndefined();
    expect(ofType(json, 'AWS::KMS::Key')).toHaveLength(1);
    const topic = ofType(json, 'AWS::SNS::Topic')[0][1];
    expect(topic.Properties?.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [ofType(json, 'AWS::KMS::Key')[0][0], 'Arn'],
    });
  });

  it('tables use the AWS-managed key; log groups carry no key; functions get no KMS permission', () => {
    for (const table of [stack.transactionsTable, stack.runsTable]) {
      expect(json.Resources[logicalIdOf(table)].Properties?.SSESpecification).toEqual({
        SSEEnabled: true,
      });
    }
    for (const [, logGroup] of ofType(json, 'AWS::Logs::LogGroup')) {
      expect(logGroup.Properties?.KmsKeyId).toBeUndefined();
    }
    for (const fn of Object.values(stack.functions)) {
      const actions = statementsOf(json, logicalIdOf(fn)).flatMap(actionsOf);
      expect(actions.filter((a) => a.startsWith('kms:'))).toEqual([]);
    }
  });
});
