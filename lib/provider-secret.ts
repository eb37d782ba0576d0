import { type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { providerSecretRef } from './config';

export interface ProviderSecretProps {
  readonly stage: string;
  /** `providerSecret`: "create", a secret name or a secret ARN (lib/config/settings.ts). */
  readonly providerSecret: string;
  /** Of a created secret (RETAIN with retainData). */
  readonly removalPolicy: RemovalPolicy;
  /** Encrypts a created secret. @default the AWS-managed key aws/secretsmanager */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The Secrets Manager secret with the payment provider's API key (docs/security.md, "The provider
 * secret"), resolved by the kind of `providerSecret`:
 *
 * - `create`: the stack creates an EMPTY secret `txconfirm/<stage>/provider-api-key` (no
 *   SecretString, no GenerateSecretString: a generated value would be a random string the provider
 *   never issued); an operator puts the key in with `put-secret-value`. Until then every batch
 *   fails with a systemic fault and no transaction is touched.
 * - `arn`: an existing secret, by its complete ARN (grants name exactly that ARN; another account
 *   or region works).
 * - `name`: an existing secret in this account and region, by name (the real ARN ends in "-" and
 *   6 random characters, so grants name the partial ARN + `-??????`).
 *
 * The value never enters the template, an output or a log: only names and ARNs do.
 */
export class ProviderSecret extends Construct {
  readonly kind: 'create' | 'arn' | 'name';
  /** What GetSecretValue is called with: the name (create, name) or the ARN (arn). */
  readonly secretId: string;
  /** The secret's ARN: complete (create, arn) or partial (name). */
  readonly secretArn: string;
  /** What an IAM grant names: the complete ARN, or the partial ARN + `-??????`. */
  readonly grantArn: string;
  /** The key the secret is encrypted with, when this stack chose it (a created secret). */
  readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: ProviderSecretProps) {
    super(scope, id);
    const ref = providerSecretRef(props.providerSecret);
    this.kind = ref.kind;
    if (ref.kind === 'create') {
      const name = `txconfirm/${props.stage}/provider-api-key`;
      const secret = new secretsmanager.CfnSecret(this, 'Resource', {
        name,
        description: `txconfirm ${props.stage}: the payment provider API key. Created empty; put the key in with aws secretsmanager put-secret-value (docs/security.md).`,
        kmsKeyId: props.encryptionKey?.keyArn,
      });
      secret.applyRemovalPolicy(props.removalPolicy);
      this.secretId = name;
      // Ref of AWS::SecretsManager::Secret is its complete ARN.
      this.secretArn = secret.ref;
      this.grantArn = secret.ref;
      this.encryptionKey = props.encryptionKey;
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The provider issues this API key; Secrets Manager cannot rotate it without the provider key-management API. Operators rotate it by asking the provider for a new key and putting it in with put-secret-value (docs/security.md).',
      });
    } else if (ref.kind === 'arn') {
      const secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'Imported', ref.arn);
      this.secretId = ref.arn;
      this.secretArn = secret.secretArn;
      this.grantArn = secret.secretFullArn ?? secret.secretArn;
    } else {
      const secret = secretsmanager.Secret.fromSecretNameV2(this, 'Imported', ref.name);
      this.secretId = ref.name;
      this.secretArn = secret.secretArn;
      this.grantArn = `${secret.secretArn}-??????`;
    }
  }

  /** The Secrets Manager service endpoint of this region, for `kms:ViaService`. */
  get viaService(): string {
    return `secretsmanager.${Stack.of(this).region}.amazonaws.com`;
  }
}
