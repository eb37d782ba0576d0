import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { PageManifest } from '../contracts';
import { SystemicFault, errorParts } from '../domain/errors';
import type { PageManifestStore } from '../domain/ports';

/**
 * Page manifests in S3 (lib/page-manifest-bucket.ts): one JSON object per page, read by the
 * Distributed Map's ItemReader (`s3:getObject`, InputType JSON). Every failure, after the SDK's
 * own retries, is a SystemicFault: the state machine retries FetchPage, then the run fails with
 * its lock released, and no transaction has been touched.
 */
export class S3PageManifests implements PageManifestStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async write(key: string, ids: readonly string[]): Promise<PageManifest> {
    // Built as text: one string, no array of objects beside the ids.
    let body = '[';
    for (let i = 0; i < ids.length; i += 1) {
      body += `${i === 0 ? '' : ','}{"id":${JSON.stringify(ids[i])}}`;
    }
    body += ']';
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
        }),
      );
    } catch (err) {
      throw s3Fault('PutObject', this.bucket, key, err);
    }
    return { bucket: this.bucket, key };
  }

  async remove(manifest: PageManifest): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: manifest.bucket, Key: manifest.key }));
    } catch (err) {
      throw s3Fault('DeleteObject', manifest.bucket, manifest.key, err);
    }
  }
}

function s3Fault(operation: string, bucket: string, key: string, err: unknown): SystemicFault {
  const { name, message } = errorParts(err);
  return new SystemicFault(`S3 ${operation} of s3://${bucket}/${key} failed: ${name}: ${message}`, {
    cause: err,
  });
}
