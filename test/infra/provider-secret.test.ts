// The provider secret by the kind of `providerSecret` (lib/provider-secret.ts): created empty,
// an existing one by ARN, or by name (the dev stage, test/infra/stack.test.ts). In every case
// confirm-batch alone may read exactly that one secret, and no value is ever in the template.
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV } from '../../lambdas/contracts';
import { type CfnTemplate, synthesizedDefinition } from '../../local/stack/synthesized-definition';
import { devWith, prod } from '../support/stages';
import { logicalIdOf, synthStage } from './synth';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments/provider-key-AbC123';
const createdDev = synthStage(devWith({ providerSecret: 'create' }));
const createdProd = synthStage({ ...prod, providerSecret: 'create' });
const byArn = synthStage(devWith({ providerSecret: ARN }));

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Statements of every role policy that name an action with this prefix, by function. */
function grants(built: ReturnType<typeof synthStage>, prefix: string): Record<string, Statement[]> {
  const { json, stack } = built;
  const out: Record<string, Statement[]> = {};
  for (const [name, fn] of Object.entries(stack.functions)) {
    const roleId = (json.Resources[logicalIdOf(fn)].Properties?.Role as { 'Fn::GetAtt': string[] })[
      'Fn::GetAtt'
    ][0];
    out[name] = Object.values(json.Resources)
      .filter(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]),
      )
      .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((s) => actionsOf(s).some((a) => a.startsWith(prefix)));
  }
  return out;
}

const secretsOf = (json: CfnTemplate) =>
  Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret');

function confirmBatchEnv(built: ReturnType<typeof synthStage>): Record<string, unknown> {
  return (
    built.json.Resources[logicalIdOf(built.stack.functions.confirmBatch)].Properties
      ?.Environment as { Variables: Record<string, unknown> }
  ).Variables;
}

describe('providerSecret "create"', () => {
  const [[secretId, secret]] = secretsOf(createdDev.json);

  it('creates one EMPTY secret txconfirm/<stage>/provider-api-key: no value, none generated', () => {
    expect(secretsOf(createdDev.json)).toHaveLength(1);
    expect(secret.Properties).toEqual({
      Name: 'txconfirm/dev/provider-api-key',
      Description: expect.stringContaining('put-secret-value'),
    });
    expect(secret.Properties).not.toHaveProperty('SecretString');
    expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
    // ... nor anywhere else in the template.
    expect(JSON.stringify(createdDev.json)).not.toMatch(/SecretString/);
  });

  it('removes it with the stack in dev, RETAINs it in prod (retainData)', () => {
    expect(secret).toMatchObject({ DeletionPolicy: 'Delete' });
    const [[, prodSecret]] = secretsOf(createdProd.json);
    expect(prodSecret).toMatchObject({
      Properties: { Name: 'txconfirm/prod/provider-api-key' },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('confirm-batch alone may GetSecretValue, on exactly this secret', () => {
    const secretGrants = grants(createdDev, 'secretsmanager:');
    expect(secretGrants).toEqual({
      startRun: [],
      fetchPage: [],
      confirmBatch: [
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: secretId } },
      ],
      finishRun: [],
      releaseLock: [],
    });
    // Without a stage key the secret uses aws/secretsmanager: no KMS grant at all.
    expect(Object.values(grants(createdDev, 'kms:')).flat()).toEqual([]);
  });

  it('PROVIDER_SECRET_ID is the name, which the local runtime reads from the synthesized stack', () => {
    expect(confirmBatchEnv(createdDev)[ENV.PROVIDER_SECRET_ID]).toBe(
      'txconfirm/dev/provider-api-key',
    );
    const fn = Object.values(synthesizedDefinition(createdDev.json).functionsByArn).find(
      (f) => f.entry === 'lambdas/handlers/confirm-batch.ts',
    );
    expect(fn?.environment[ENV.PROVIDER_SECRET_ID]).toBe('txconfirm/dev/provider-api-key');
  });

  it('outputs the ARN and the id, never a value', () => {
    createdDev.template.hasOutput('ProviderSecretArn', { Value: { Ref: secretId } });
    createdDev.template.hasOutput('ProviderSecretId', { Value: 'txconfirm/dev/provider-api-key' });
  });

  it('acknowledges rotation (SMG4) with a reason: the provider issues the key', () => {
    const suppressed = (
      secret.Metadata?.cdk_nag as { rules_to_suppress: { id: string; reason: string }[] }
    ).rules_to_suppress;
    expect(suppressed).toEqual([
      { id: 'AwsSolutions-SMG4', reason: expect.stringMatching(/provider.*put-secret-value/s) },
    ]);
  });

  describe('with the stage key (prod)', () => {
    const [[prodSecretId, prodSecret]] = secretsOf(createdProd.json);
    const key = { 'Fn::GetAtt': [logicalIdOf(createdProd.stack.stageKey!.key), 'Arn'] };

    it('is encrypted with the stage key', () => {
      expect(prodSecret.Properties?.KmsKeyId).toEqual(key);
    });

    it('confirm-batch may decrypt it only through Secrets Manager, for this secret only', () => {
      const decrypt = grants(createdProd, 'kms:').confirmBatch.filter((s) =>
        JSON.stringify(s.Condition).includes('SecretARN'),
      );
      expect(decrypt).toEqual([
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: key,
          Condition: {
            StringEquals: {
              'kms:ViaService': {
                'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
              },
              'kms:EncryptionContext:SecretARN': { Ref: prodSecretId },
            },
          },
        },
      ]);
      for (const name of ['startRun', 'fetchPage', 'finishRun', 'releaseLock'] as const) {
        expect(JSON.stringify(grants(createdProd, 'kms:')[name])).not.toContain('SecretARN');
      }
    });

    it('cdk-nag (AwsSolutions) reports nothing unacknowledged', () => {
      const report = new AwsSolutionsChecks().validateScope(createdProd.stack);
      expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    });
  });
});

describe('providerSecret as an ARN', () => {
  it('creates nothing, grants GetSecretValue on exactly that ARN, and passes the ARN on', () => {
    expect(secretsOf(byArn.json)).toEqual([]);
    expect(grants(byArn, 'secretsmanager:').confirmBatch).toEqual([
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ARN },
    ]);
    // The ARN, not the name: it also reaches a secret of another account or region.
    expect(confirmBatchEnv(byArn)[ENV.PROVIDER_SECRET_ID]).toBe(ARN);
    byArn.template.hasOutput('ProviderSecretArn', { Value: ARN });
    byArn.template.hasOutput('ProviderSecretId', { Value: ARN });
  });
});
