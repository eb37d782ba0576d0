/**
 * A loopback stand-in for the part of Amazon S3 the workflow uses: the page manifests FetchPage
 * writes and the Distributed Map's ItemReader reads (docs/architecture.md §3). It answers, over
 * S3's REST protocol with path-style addresses (`/<bucket>/<key>`, what the SDK sends to an IP
 * endpoint), CreateBucket, HeadBucket, PutObject, GetObject, HeadObject and DeleteObject, with S3's
 * XML errors (NoSuchBucket, NoSuchKey, EntityTooLarge, InvalidURI, NotImplemented). Point
 * `AWS_ENDPOINT_URL_S3` at `url` and the real SDK client talks to it.
 *
 * Objects are kept in memory: the workflow deletes each manifest once its page is done, so what is
 * held is a page or two, whatever the backlog. It does not authenticate (any signature is
 * accepted), so it binds to loopback only, like every local server (local/http/loopback-server.ts).
 * Why not a library: the S3 stand-ins on npm are either unmaintained with vulnerable dependencies
 * (s3rver 3.7.1, 2021) or need Node 24 (its fork); docs/architecture.md, Decisions.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { listenOnLoopback, readBodyBytes, RequestBodyTooLarge } from '../http/loopback-server';

/** Largest object accepted: a manifest of a page of ids is a few MB. */
const MAX_OBJECT_BYTES = 64 * 1024 * 1024;

export interface S3EndpointOptions {
  /** Loopback port. @default 0 (a free port) */
  readonly port?: number;
  /** Buckets that exist from the start. */
  readonly buckets?: readonly string[];
  /** Overrides for the returned client (endpoint, region and dummy credentials are set already). */
  readonly clientConfig?: Omit<S3ClientConfig, 'endpoint'>;
}

export interface S3Endpoint {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_S3`. */
  readonly url: string;
  /** A client on this endpoint (the caller must not destroy it; stop() does). */
  readonly client: S3Client;
  /** Creates a bucket (no error if it exists). */
  createBucket(bucket: string): void;
  /** Keys held in a bucket now, in order (for tests and the bench: what is left behind). */
  keys(bucket: string): string[];
  /** Bytes held in all buckets now. */
  heldBytes(): number;
  /** Destroys the client, closes every connection and the server. Idempotent. */
  stop(): Promise<void>;
}

interface StoredObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly contentType: string;
  readonly lastModified: Date;
}

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly resource?: string,
  ) {
    super(message);
  }
}

const xmlEscape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function sendError(res: ServerResponse, error: S3Error, method: string | undefined): void {
  res.writeHead(error.status, { 'Content-Type': 'application/xml' });
  // A HEAD answer has no body: the SDK reads the error from the status code.
  if (method === 'HEAD') {
    res.end();
    return;
  }
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${error.code}</Code>` +
      `<Message>${xmlEscape(error.message)}</Message>` +
      (error.resource === undefined ? '' : `<Resource>${xmlEscape(error.resource)}</Resource>`) +
      `</Error>`,
  );
}

/**
 * `/<bucket>/<key>` of a path-style request, decoded; the key may be empty. A target that is not
 * a URL or not percent-encoding (`/b/%zz`) is S3's 400 InvalidURI, not an internal error.
 */
function addressOf(url: string): { bucket: string; key: string; query: URLSearchParams } {
  try {
    const parsed = new URL(url, 'http://localhost');
    const path = parsed.pathname.replace(/^\//, '');
    const slash = path.indexOf('/');
    const bucket = decodeURIComponent(slash === -1 ? path : path.slice(0, slash));
    const key = slash === -1 ? '' : decodeURIComponent(path.slice(slash + 1));
    return { bucket, key, query: parsed.searchParams };
  } catch {
    throw new S3Error(400, 'InvalidURI', "Couldn't parse the specified URI.", url);
  }
}

export async function startS3Endpoint(options: S3EndpointOptions = {}): Promise<S3Endpoint> {
  const buckets = new Map<string, Map<string, StoredObject>>();
  let held = 0;
  const createBucket = (bucket: string) => {
    if (!buckets.has(bucket)) buckets.set(bucket, new Map());
  };
  for (const bucket of options.buckets ?? []) createBucket(bucket);

  const bucketOf = (bucket: string) => {
    const objects = buckets.get(bucket);
    if (!objects) {
      throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', `/${bucket}`);
    }
    return objects;
  };
  const objectOf = (bucket: string, key: string) => {
    const object = bucketOf(bucket).get(key);
    if (!object) {
      throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', `/${bucket}/${key}`);
    }
    return object;
  };

  const putObject = async (req: IncomingMessage, bucket: string, key: string) => {
    // The body is read before any answer: one sent while the client still writes resets the
    // connection under it.
    let body: Buffer;
    try {
      body = await readBodyBytes(req, MAX_OBJECT_BYTES);
    } catch (error) {
      if (error instanceof RequestBodyTooLarge) {
        throw new S3Error(
          400,
          'EntityTooLarge',
          `Your proposed upload exceeds the maximum allowed size (${MAX_OBJECT_BYTES} bytes here)`,
        );
      }
      throw error;
    }
    const objects = bucketOf(bucket);
    const encoding = String(req.headers['content-encoding'] ?? '');
    if (encoding.split(',').some((part) => part.trim() === 'aws-chunked')) {
      throw new S3Error(
        501,
        'NotImplemented',
        'aws-chunked uploads are not served by the local S3 endpoint; send the body whole (a string or a Buffer)',
      );
    }
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    held += body.length - (objects.get(key)?.body.length ?? 0);
    objects.set(key, {
      body,
      etag,
      contentType: String(req.headers['content-type'] ?? 'application/octet-stream'),
      lastModified: new Date(),
    });
    return etag;
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const { bucket, key, query } = addressOf(req.url ?? '/');
    const method = req.method ?? 'GET';
    // Only PutObject reads a body; any other (CreateBucket's configuration) is drained unread.
    if (!(method === 'PUT' && key !== '')) req.resume();
    if (bucket === '') {
      throw new S3Error(
        501,
        'NotImplemented',
        'ListBuckets is not served by the local S3 endpoint',
      );
    }
    if (key === '') {
      if (method === 'PUT') {
        createBucket(bucket);
        res.writeHead(200, { Location: `/${bucket}` }).end();
        return;
      }
      if (method === 'HEAD') {
        bucketOf(bucket);
        res.writeHead(200).end();
        return;
      }
      throw new S3Error(
        501,
        'NotImplemented',
        `${method} on a bucket${query.size > 0 ? ` (?${query.toString()})` : ''} is not served by the local S3 endpoint`,
      );
    }
    if (query.size > 0 && !(query.size === 1 && query.has('x-id'))) {
      throw new S3Error(
        501,
        'NotImplemented',
        `object sub-resources (?${query.toString()}) are not served by the local S3 endpoint`,
      );
    }
    switch (method) {
      case 'PUT': {
        const etag = await putObject(req, bucket, key);
        res.writeHead(200, { ETag: etag }).end();
        return;
      }
      case 'GET':
      case 'HEAD': {
        const object = objectOf(bucket, key);
        res.writeHead(200, {
          'Content-Type': object.contentType,
          'Content-Length': object.body.length,
          ETag: object.etag,
          'Last-Modified': object.lastModified.toUTCString(),
        });
        res.end(method === 'GET' ? object.body : undefined);
        return;
      }
      case 'DELETE': {
        const objects = bucketOf(bucket);
        held -= objects.get(key)?.body.length ?? 0;
        objects.delete(key);
        // As S3: deleting a key that is not there succeeds.
        res.writeHead(204).end();
        return;
      }
      default:
        throw new S3Error(
          501,
          'NotImplemented',
          `${method} is not served by the local S3 endpoint`,
        );
    }
  };

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      const s3Error =
        error instanceof S3Error
          ? error
          : new S3Error(
              500,
              'InternalError',
              error instanceof Error ? error.message : String(error),
            );
      if (res.headersSent) res.destroy();
      else sendError(res, s3Error, req.method);
    });
  });
  const listener = await listenOnLoopback(server, options.port ?? 0);
  const client = new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...options.clientConfig,
    endpoint: listener.url,
  });
  return {
    url: listener.url,
    client,
    createBucket,
    keys: (bucket) => [...(buckets.get(bucket)?.keys() ?? [])].sort(),
    heldBytes: () => held,
    stop: () => {
      client.destroy();
      return listener.close();
    },
  };
}
