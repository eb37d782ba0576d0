/**
 * The local S3 endpoint through the real SDK client: what FetchPage (PutObject, DeleteObject) and
 * the engine's ItemReader (GetObject) send, and S3's errors for what is not there.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { request } from 'node:http';
import { startS3Endpoint, type S3Endpoint } from '../../local/aws/s3-endpoint';

let endpoint: S3Endpoint;
let s3: S3Client;

beforeAll(async () => {
  endpoint = await startS3Endpoint({ buckets: ['manifests'] });
  s3 = endpoint.client;
});
afterAll(() => endpoint.stop());

describe('local S3 endpoint', () => {
  it('stores, reads and deletes an object through the SDK', async () => {
    const body = JSON.stringify(['tx-1', 'tx-2', 'tx-é']);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'manifests',
        Key: 'runs/r1/pages/1.json',
        Body: body,
        ContentType: 'application/json',
      }),
    );
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(endpoint.keys('manifests')).toEqual(['runs/r1/pages/1.json']);
    expect(endpoint.heldBytes()).toBe(Buffer.byteLength(body));

    const got = await s3.send(
      new GetObjectCommand({ Bucket: 'manifests', Key: 'runs/r1/pages/1.json' }),
    );
    expect(got.ContentType).toBe('application/json');
    expect(got.ETag).toBe(put.ETag);
    expect(JSON.parse(await got.Body!.transformToString())).toEqual(['tx-1', 'tx-2', 'tx-é']);
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: 'manifests', Key: 'runs/r1/pages/1.json' }),
    );
    expect(head.ContentLength).toBe(Buffer.byteLength(body));

    await s3.send(new DeleteObjectCommand({ Bucket: 'manifests', Key: 'runs/r1/pages/1.json' }));
    expect(endpoint.keys('manifests')).toEqual([]);
    expect(endpoint.heldBytes()).toBe(0);
    // Deleting what is not there succeeds, as on S3.
    await s3.send(new DeleteObjectCommand({ Bucket: 'manifests', Key: 'runs/r1/pages/1.json' }));
  });

  it('replacing an object keeps the bytes held right', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'manifests', Key: 'k', Body: 'x'.repeat(100) }));
    await s3.send(new PutObjectCommand({ Bucket: 'manifests', Key: 'k', Body: 'y'.repeat(10) }));
    expect(endpoint.heldBytes()).toBe(10);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'manifests', Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('y'.repeat(10));
    await s3.send(new DeleteObjectCommand({ Bucket: 'manifests', Key: 'k' }));
  });

  it("answers S3's errors for a missing key or bucket", async () => {
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'manifests', Key: 'nope.json' })),
    ).rejects.toBeInstanceOf(NoSuchKey);
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'a' })),
    ).rejects.toBeInstanceOf(NoSuchBucket);
    await expect(
      s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'a', Body: 'x' })),
    ).rejects.toBeInstanceOf(NoSuchBucket);
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: 'manifests', Key: 'nope.json' })),
    ).rejects.toBeInstanceOf(NotFound);
  });

  it('creates buckets through the SDK and through the host', async () => {
    await expect(s3.send(new HeadBucketCommand({ Bucket: 'later' }))).rejects.toBeInstanceOf(
      NotFound,
    );
    await s3.send(new CreateBucketCommand({ Bucket: 'later' }));
    await s3.send(new HeadBucketCommand({ Bucket: 'later' }));
    endpoint.createBucket('other');
    await s3.send(new PutObjectCommand({ Bucket: 'other', Key: 'a/b c', Body: '1' }));
    expect(endpoint.keys('other')).toEqual(['a/b c']);
  });

  it('names what it does not serve instead of answering wrongly', async () => {
    const error = await s3
      .send(new ListObjectsV2Command({ Bucket: 'manifests' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3ServiceException);
    expect((error as S3ServiceException).name).toBe('NotImplemented');
    expect((error as S3ServiceException).message).toMatch(/not served by the local S3 endpoint/);
  });

  it('refuses an aws-chunked upload with a named error and survives it', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL('/manifests/chunked', endpoint.url);
      const req = request(
        url,
        { method: 'PUT', headers: { 'Content-Encoding': 'aws-chunked' } },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end('5\r\nhello\r\n0\r\n\r\n');
    });
    expect(answer.status).toBe(501);
    expect(answer.body).toMatch(/<Code>NotImplemented<\/Code>.*aws-chunked/);
    expect(endpoint.keys('manifests')).not.toContain('chunked');
    // Still serving.
    await s3.send(new PutObjectCommand({ Bucket: 'manifests', Key: 'after', Body: 'ok' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'manifests', Key: 'after' }));
  });
});
