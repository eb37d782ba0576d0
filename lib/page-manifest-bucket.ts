import { type CfnElement, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { MANIFEST_PREFIX } from '../lambdas/contracts';

export interface PageManifestBucketProps {
  readonly removalPolicy: RemovalPolicy;
  /** The stage key (customerManagedKey); without it, S3-managed keys. */
  readonly encryptionKey?: kms.IKey;
}

/** What FetchPage does to manifests (granted to it, and admitted by the VPC's S3 endpoint). */
export const MANIFEST_WRITE_ACTIONS = ['s3:PutObject', 's3:DeleteObject'] as const;

/**
 * The page manifests (docs/architecture.md §3): FetchPage writes each page's ids here and the
 * Distributed Map's ItemReader reads them, so a page is not bound by the 256 KiB state limit.
 * FetchPage deletes each manifest once its page is done; the lifecycle rule expires what a failed
 * run left behind after a day. Private, TLS only, encrypted, no versions (a manifest is rewritten
 * only by a retried FetchPage of the same page).
 */
export class PageManifestBucket extends s3.Bucket {
  /** The manifests: the objects under {@link MANIFEST_PREFIX}. */
  get manifestObjectsArn(): string {
    return this.arnForObjects(`${MANIFEST_PREFIX}*`);
  }

  constructor(scope: Construct, id: string, props: PageManifestBucketProps) {
    super(scope, id, {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      ...(props.encryptionKey
        ? {
            encryption: s3.BucketEncryption.KMS,
            encryptionKey: props.encryptionKey,
            // One data key per bucket, not per object: fewer KMS requests.
            bucketKeyEnabled: true,
          }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      lifecycleRules: [
        { id: 'ExpireLeftOverManifests', prefix: MANIFEST_PREFIX, expiration: Duration.days(1) },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds only transient page manifests (transaction ids, no amounts), written and deleted by FetchPage and read by the Distributed Map; every access is by the stack roles, recorded by CloudTrail management events and the X-Ray traces. Server access logs would need a second bucket and add nothing an operator uses.',
    });
  }

  /**
   * FetchPage: PutObject and DeleteObject under the manifest prefix, and nothing else (not the
   * tagging, retention and ACL actions `grantPut` adds); with the stage key, a data key for the
   * upload.
   */
  grantManifestWrites(grantee: iam.IGrantable & { readonly role?: iam.IRole }): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: [...MANIFEST_WRITE_ACTIONS],
      resourceArns: [this.manifestObjectsArn],
    });
    this.grantKeyThroughS3(grantee, 'kms:GenerateDataKey');
    if (grantee.role) {
      Validations.of(grantee.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.logicalId()}.Arn>/${MANIFEST_PREFIX}*]`,
        reason: `FetchPage names each manifest at run time (${MANIFEST_PREFIX}<runId>/page-<n>.json); the grant is PutObject and DeleteObject under the manifest prefix of this one bucket.`,
      });
    }
  }

  /** The bucket's logical id, as cdk-nag names it in a finding. */
  logicalId(): string {
    return Stack.of(this).getLogicalId(this.node.defaultChild as CfnElement);
  }

  /**
   * The state machine: decrypt a manifest with the stage key. (Its s3:GetObject comes with the
   * ItemReader: CDK grants it on the bucket's objects.)
   */
  grantManifestDecrypt(grantee: iam.IGrantable): void {
    this.grantKeyThroughS3(grantee, 'kms:Decrypt');
  }

  /** The stage key, only as S3 uses it for this bucket (as every grant on it: kms:ViaService). */
  private grantKeyThroughS3(grantee: iam.IGrantable, action: string): void {
    if (!this.encryptionKey) return;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [action],
        resources: [this.encryptionKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` },
          // With a bucket key, S3 names the bucket (not the object) as the encryption context.
          StringEqualsIfExists: { 'kms:EncryptionContext:aws:s3:arn': this.bucketArn },
        },
      }),
    );
  }
}
