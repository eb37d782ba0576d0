import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV } from '../../lambdas/contracts';
import { BREAKER_KEY } from '../../lambdas/adapters/dynamo-provider-breaker';
import { envVarOf, HANDLER_CONFIG } from '../../lambdas/shared/config';
import { TransactionsTable } from '../../lib/transactions-table';
import { logicalIdOf, synthStage } from './synth';
import { dev } from '../support/stages';

// The dev stage, built once for the whole file.
const { stack, template, json } = synthStage('dev');
const resources = json.Resources;
const id = {
  transactions: logicalIdOf(stack.transactionsTable),
  runs: logicalIdOf(stack.runsTable),
  stateMachine: logicalIdOf(stack.workflow.stateMachine),
  releaseLock: logicalIdOf(stack.functions.releaseLock),
};
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
/** lib/log-groups.ts stackUniqueSuffix(): the last group of the stack id's UUID, at deploy time. */
const STACK_SUFFIX = {
  'Fn::Select': [
    4,
    { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] },
  ],
};
const HANDLERS = {
  startRun: 'start-run',
  fetchPage: 'fetch-page',
  confirmBatch: 'confirm-batch',
  finishRun: 'finish-run',
  releaseLock: 'release-lock',
} as const;

type Statement = {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Condition?: Record<string, Record<string, unknown>>;
};

/** Every statement that applies to a function's role: inline policies and attached AWS::IAM::Policy. */
function statementsOfFunction(functionLogicalId: string): Statement[] {
  const roleArn = resources[functionLogicalId].Properties?.Role as {
    'Fn::GetAtt': [string, string];
  };
  const roleId = roleArn['Fn::GetAtt'][0];
  const role = resources[roleId].Properties ?? {};
  const inline = (
    (role.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        (r.Properties?.Roles as unknown[]).some(
          (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }),
        ),
    )
    .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** DynamoDB actions per resource ("Transactions", "Transactions/index/pending-by-shard", "Runs"). */
function dynamoGrants(functionLogicalId: string): Record<string, string[]> {
  const names: Record<string, string> = {
    [JSON.stringify(arnOf(id.transactions))]: 'Transactions',
    [JSON.stringify(arnOf(id.runs))]: 'Runs',
    [JSON.stringify({
      'Fn::Join': ['', [arnOf(id.transactions), `/index/${TransactionsTable.PENDING_INDEX_NAME}`]],
    })]: `Transactions/index/${TransactionsTable.PENDING_INDEX_NAME}`,
  };
  const grants: Record<string, string[]> = {};
  for (const s of statementsOfFunction(functionLogicalId)) {
    const actions = actionsOf(s).filter((a) => a.startsWith('dynamodb:'));
    if (actions.length === 0) continue;
    const resourcesOfStatement = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    for (const r of resourcesOfStatement) {
      const name = names[JSON.stringify(r)] ?? `UNEXPECTED ${JSON.stringify(r)}`;
      grants[name] = [...(grants[name] ?? []), ...actions].sort();
    }
  }
  return grants;
}

describe('Lambda functions', () => {
  const functions = Object.entries(stack.functions);

  it('there are exactly the five handlers', () => {
    template.resourceCountIs('AWS::Lambda::Function', 5);
    expect(Object.keys(stack.functions).sort()).toEqual(
      ['confirmBatch', 'fetchPage', 'finishRun', 'releaseLock', 'startRun'].sort(),
    );
  });

  it('every function: X-Ray active, newest Node.js runtime, ARM, source maps, Powertools service name', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: Match.objectLike({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'txconfirm',
          [ENV.STAGE]: 'dev',
        }),
      },
    });
  });

  it.each(functions)('%s logs to its own log group with the stage retention', (name, fn) => {
    const props = resources[logicalIdOf(fn)].Properties ?? {};
    const logGroupId = (props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(resources[logGroupId]).toEqual({
      Type: 'AWS::Logs::LogGroup',
      // Named for people, unique per stack creation (a RETAINed group never collides); dev has
      // no stage key, so no KmsKeyId.
      Properties: {
        LogGroupName: {
          'Fn::Join': [
            '',
            [`/aws/lambda/txconfirm-dev-${HANDLERS[name as keyof typeof HANDLERS]}-`, STACK_SUFFIX],
          ],
        },
        RetentionInDays: 7,
      },
      UpdateReplacePolicy: 'Delete',
      DeletionPolicy: 'Delete',
    });
    // Writes only there: no AWSLambdaBasicExecutionRole (which allows every log group).
    const statements = statementsOfFunction(logicalIdOf(fn));
    const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(logs).toEqual([
      expect.objectContaining({
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: arnOf(logGroupId),
      }),
    ]);
  });

  it('no function role carries a managed policy', () => {
    for (const [, fn] of functions) {
      const roleId = (resources[logicalIdOf(fn)].Properties?.Role as { 'Fn::GetAtt': string[] })[
        'Fn::GetAtt'
      ][0];
      expect(resources[roleId].Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('the handler entry of each function is recorded for the local runtime', () => {
    expect(
      functions.map(([, fn]) => resources[logicalIdOf(fn)].Metadata?.['txconfirm:handler']),
    ).toEqual(
      ['start-run', 'fetch-page', 'confirm-batch', 'finish-run', 'release-lock'].map((name) => ({
        entry: `lambdas/handlers/${name}.ts`,
        export: 'handler',
      })),
    );
  });

  it('environment: tables, index and provider settings go where they are used', () => {
    const env = (fn: keyof typeof stack.functions) =>
      resources[logicalIdOf(stack.functions[fn])].Properties?.Environment as {
        Variables: Record<string, unknown>;
      };
    expect(env('fetchPage').Variables).toMatchObject({
      [ENV.TRANSACTIONS_TABLE]: { Ref: id.transactions },
      [ENV.PENDING_INDEX]: 'pending-by-shard',
      [ENV.RUNS_TABLE]: { Ref: id.runs },
      [ENV.SHARD_COUNT]: '16',
      [ENV.PAGE_SIZE]: '8000', // 20 children × batches of 50 × 8 waves
      [ENV.MAX_PAGES_PER_EXECUTION]: '50',
      [ENV.LOCK_LEASE_SECONDS]: '3600',
      [ENV.MANIFEST_BUCKET]: { Ref: logicalIdOf(stack.manifestBucket) },
    });
    expect(env('confirmBatch').Variables).toMatchObject({
      [ENV.TRANSACTIONS_TABLE]: { Ref: id.transactions },
      // The provider circuit breaker's item lives in the Runs table.
      [ENV.RUNS_TABLE]: { Ref: id.runs },
      [ENV.PROVIDER_BASE_URL]: dev.providerBaseUrl,
      // The secret's NAME (handlers call GetSecretValue with it), never its value.
      [ENV.PROVIDER_SECRET_ID]: dev.providerSecret,
      [ENV.PROVIDER_TIMEOUT_MS]: '10000',
      [ENV.IN_BATCH_PARALLELISM]: '5',
      [ENV.MAX_ATTEMPTS]: '5',
    });
    expect(env('startRun').Variables).not.toHaveProperty(ENV.TRANSACTIONS_TABLE);
    expect(env('startRun').Variables).not.toHaveProperty(ENV.PROVIDER_SECRET_ID);
  });

  it.each(functions)(
    '%s gets exactly the settings its handler reads (lambdas/shared/config.ts)',
    (_name, fn) => {
      const resource = resources[logicalIdOf(fn)];
      const entry = (resource.Metadata?.['txconfirm:handler'] as { entry: string }).entry;
      const handlerName = /^lambdas\/handlers\/(.+)\.ts$/.exec(
        entry,
      )?.[1] as keyof typeof HANDLER_CONFIG;
      const variables = Object.keys(
        (resource.Properties?.Environment as { Variables: Record<string, unknown> }).Variables,
      ).filter((v) => !['NODE_OPTIONS', ENV.STAGE].includes(v) && !v.startsWith('POWERTOOLS_'));
      expect(HANDLER_CONFIG[handlerName]).toBeDefined();
      expect(variables.sort()).toEqual(HANDLER_CONFIG[handlerName].map(envVarOf).sort());
    },
  );

  it('confirm-batch has the configured timeout and memory', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('ConfirmBatch'),
      Timeout: 60,
      MemorySize: 512,
    });
  });

  it('release-lock retries its asynchronous invocations, then dead-letters them', () => {
    const props = resources[id.releaseLock].Properties ?? {};
    expect(props.DeadLetterConfig).toEqual({
      TargetArn: arnOf(logicalIdOf(stack.node.findChild('ReleaseLockDeadLetterQueue'))),
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: id.releaseLock },
      MaximumRetryAttempts: 2,
    });
  });
});

describe('IAM least privilege', () => {
  it.each<[keyof typeof stack.functions, Record<string, string[]>]>([
    ['startRun', { Runs: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] }],
    [
      'fetchPage',
      {
        'Transactions/index/pending-by-shard': ['dynamodb:Query'],
        // The lease and the run's progress; the provider circuit breaker (read only).
        Runs: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      },
    ],
    [
      'confirmBatch',
      {
        Transactions: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
        // The provider circuit breaker: read, and changed by conditional updates only.
        Runs: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      },
    ],
    ['finishRun', { Runs: ['dynamodb:DeleteItem', 'dynamodb:UpdateItem'] }],
    ['releaseLock', { Runs: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'] }],
  ])('%s: exactly its DynamoDB actions', (fn, expected) => {
    expect(dynamoGrants(logicalIdOf(stack.functions[fn]))).toEqual(expected);
  });

  it('confirmBatch reaches only the circuit breaker item of the Runs table (not the lock, not run records)', () => {
    const onRuns = statementsOfFunction(logicalIdOf(stack.functions.confirmBatch)).filter(
      (s) =>
        actionsOf(s).some((a) => a.startsWith('dynamodb:')) &&
        JSON.stringify(s.Resource) === JSON.stringify(arnOf(id.runs)),
    );
    expect(onRuns).toHaveLength(1);
    expect(onRuns[0].Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [BREAKER_KEY.pk] },
    });
    // The other functions' grants on the Runs table carry no such condition: they own the lock.
    const fetchRuns = statementsOfFunction(logicalIdOf(stack.functions.fetchPage)).filter(
      (s) => JSON.stringify(s.Resource) === JSON.stringify(arnOf(id.runs)),
    );
    expect(fetchRuns.every((s) => s.Condition === undefined)).toBe(true);
  });

  /** The statements each function has with actions of `service`: only `owner` has any. */
  function onlyOneFunctionUses(service: string, owner: keyof typeof stack.functions): Statement[] {
    for (const [name, fn] of Object.entries(stack.functions)) {
      if (name === owner) continue;
      const others = statementsOfFunction(logicalIdOf(fn)).filter((s) =>
        actionsOf(s).some((a) => a.startsWith(`${service}:`)),
      );
      expect({ [name]: others }).toEqual({ [name]: [] });
    }
    return statementsOfFunction(logicalIdOf(stack.functions[owner])).filter((s) =>
      actionsOf(s).some((a) => a.startsWith(`${service}:`)),
    );
  }

  it('only fetch-page writes page manifests: PutObject and DeleteObject under runs/ of the manifest bucket', () => {
    const bucketArn = arnOf(logicalIdOf(stack.manifestBucket));
    expect(onlyOneFunctionUses('s3', 'fetchPage')).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:DeleteObject'],
        Resource: { 'Fn::Join': ['', [bucketArn, '/runs/*']] },
      },
    ]);
  });

  it('only confirm-batch reads the provider secret, and only GetSecretValue on that secret', () => {
    expect(onlyOneFunctionUses('secretsmanager', 'confirmBatch')).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':secretsmanager:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              // A secret imported by name: its ARN ends in "-" and 6 random characters.
              `:secret:${dev.providerSecret}-??????`,
            ],
          ],
        },
      },
    ]);
  });

  it('the page-manifest bucket: private, TLS only, encrypted, manifests expire after a day', () => {
    const bucketId = logicalIdOf(stack.manifestBucket);
    expect(resources[bucketId].Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      // dev: S3-managed keys (prod: the stage key, test/infra/hardening.test.ts).
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      LifecycleConfiguration: {
        Rules: expect.arrayContaining([
          expect.objectContaining({ Prefix: 'runs/', ExpirationInDays: 1, Status: 'Enabled' }),
        ]),
      },
    });
    const [policy] = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::S3::BucketPolicy' &&
        JSON.stringify(r.Properties?.Bucket) === JSON.stringify({ Ref: bucketId }),
    );
    expect(
      (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement,
    ).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('no wildcard action anywhere; Resource "*" only for X-Ray and vended log delivery', () => {
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    const statements = policies.flatMap(
      (p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    expect(statements.length).toBeGreaterThan(10);
    for (const s of statements) {
      for (const action of actionsOf(s)) expect(action).not.toContain('*');
      if (s.Resource === '*') {
        for (const action of actionsOf(s)) expect(action).toMatch(/^(xray|logs):/);
      }
    }
  });

  it('the state machine may start only itself (ContinueAsNew) and invoke only the workflow functions', () => {
    const roleId = (resources[id.stateMachine].Properties?.RoleArn as { 'Fn::GetAtt': string[] })[
      'Fn::GetAtt'
    ][0];
    const statements = Object.values(resources)
      .filter(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]),
      )
      .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement);
    const invoked = statements
      .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'))
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
      .map((r) => JSON.stringify(r));
    const workflowFunctions = ['startRun', 'fetchPage', 'confirmBatch', 'finishRun'] as const;
    expect(new Set(invoked)).toEqual(
      new Set(
        workflowFunctions.flatMap((fn) => {
          const arn = arnOf(logicalIdOf(stack.functions[fn]));
          return [JSON.stringify(arn), JSON.stringify({ 'Fn::Join': ['', [arn, ':*']] })];
        }),
      ),
    );
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'states:StartExecution',
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':states:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':stateMachine:txconfirm-dev',
          ],
        ],
      },
    });
  });
});

describe('tables', () => {
  it('Transactions: PK id, the sparse sharded pending index (keys only), PITR, SSE, on-demand', () => {
    expect(resources[id.transactions].Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'pending-by-shard',
          KeySchema: [
            { AttributeName: 'pendingShard', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
    expect(stack.transactionsTable.shardCount).toBe(16);
  });

  it('Runs: PK pk, SK sk, TTL on ttl, PITR, SSE', () => {
    expect(resources[id.runs].Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('dev: both tables are destroyed with the stack, without deletion protection', () => {
    for (const tableId of [id.transactions, id.runs]) {
      expect(resources[tableId]).toMatchObject({
        DeletionPolicy: 'Delete',
        Properties: { DeletionProtectionEnabled: false },
      });
    }
  });
});

describe('state machine', () => {
  it('STANDARD, named by stage, X-Ray tracing, logging ALL to its vended log group', () => {
    const props = resources[id.stateMachine].Properties ?? {};
    expect(props).toMatchObject({
      StateMachineName: 'txconfirm-dev',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
    const destination = (
      props.LoggingConfiguration as {
        Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': string[] } } }[];
      }
    ).Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    // The vended-logs prefix AWS recommends, and a suffix unique to the stack's creation: the
    // fixed name of before made a re-created stack fail on the RETAINed group ("already exists").
    expect(resources[destination].Properties).toEqual({
      LogGroupName: { 'Fn::Join': ['', ['/aws/vendedlogs/states/txconfirm-dev-', STACK_SUFFIX]] },
      RetentionInDays: 7,
    });
  });

  it('its role has no KMS permission (CloudWatch Logs itself uses a log group key)', () => {
    const roleId = (resources[id.stateMachine].Properties?.RoleArn as { 'Fn::GetAtt': string[] })[
      'Fn::GetAtt'
    ][0];
    const actions = Object.values(resources)
      .filter(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]),
      )
      .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement)
      .flatMap(actionsOf);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a.startsWith('kms:'))).toEqual([]);
  });

  it('alarms on failed, timed-out and aborted executions', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: id.stateMachine } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('the release rule sends FAILED / TIMED_OUT / ABORTED executions of this state machine to release-lock', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ Ref: id.stateMachine }],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: arnOf(id.releaseLock),
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
        }),
      ],
    });
  });
});

describe('schedule', () => {
  it('starts the state machine with {} on the configured rate; dev creates it disabled', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'DISABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: { Ref: id.stateMachine },
        Input: '{}',
        DeadLetterConfig: { Arn: Match.anyValue() },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 3 }),
      }),
    });
  });
});

describe('dead-letter queues', () => {
  it('both are SSE-encrypted and refuse plain HTTP', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.allResourcesProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      expect((p.Properties?.PolicyDocument as { Statement: unknown[] }).Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });
});

describe('outputs', () => {
  it('StateMachineArn, TransactionsTableName, RunsTableName', () => {
    template.hasOutput('StateMachineArn', { Value: { Ref: id.stateMachine } });
    template.hasOutput('TransactionsTableName', { Value: { Ref: id.transactions } });
    template.hasOutput('RunsTableName', { Value: { Ref: id.runs } });
  });

  it('what the operator preflight (txc doctor) reads: provider, dead-letter queues, SLO', () => {
    template.hasOutput('ProviderSecretId', { Value: dev.providerSecret });
    template.hasOutput('ProviderSecretArn', {
      Value: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':secretsmanager:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            `:secret:${dev.providerSecret}`,
          ],
        ],
      },
    });
    template.hasOutput('ProviderBaseUrl', { Value: dev.providerBaseUrl });
    template.hasOutput('ProviderTimeoutMs', { Value: String(dev.providerTimeoutMs) });
    template.hasOutput('ScheduleDeadLetterQueueUrl', {
      Value: { Ref: logicalIdOf(stack.node.findChild('ScheduleDeadLetterQueue')) },
    });
    template.hasOutput('ReleaseLockDeadLetterQueueUrl', {
      Value: { Ref: logicalIdOf(stack.node.findChild('ReleaseLockDeadLetterQueue')) },
    });
    // 3 x the rate(5 minutes) period.
    template.hasOutput('OldestPendingAgeSloSeconds', { Value: '900' });
  });

  it('ExternalAlarmTopicArn and EgressIps only when their settings ask for them', () => {
    expect(Object.keys(template.findOutputs('*'))).not.toContain('ExternalAlarmTopicArn');
    expect(Object.keys(template.findOutputs('*'))).not.toContain('EgressIps');
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('reports no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(
      report.violations.map(
        (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('every acknowledgment is a narrow, explained finding', () => {
    const acknowledged = Object.values(resources).flatMap(
      (r) =>
        (r.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason: string }[] })
          ?.rules_to_suppress ?? [],
    );
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { id: ruleId, reason } of acknowledged) {
      // IAM5 only ever for a named finding, never the whole rule.
      if (ruleId.startsWith('AwsSolutions-IAM5'))
        expect(ruleId).toMatch(/^AwsSolutions-IAM5\[.+\]$/);
      expect(reason.length).toBeGreaterThan(60);
    }
    expect(new Set(acknowledged.map((a) => a.id.replace(/\[.*\]$/, '')))).toEqual(
      new Set(['AwsSolutions-IAM5', 'AwsSolutions-S1', 'AwsSolutions-SQS3']),
    );
  });
});
