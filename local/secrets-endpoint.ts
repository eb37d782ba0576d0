/**
 * A loopback stand-in for AWS Secrets Manager: it answers `GetSecretValue` over the JSON 1.1
 * protocol (`X-Amz-Target: secretsmanager.GetSecretValue`) for the secrets it was given, and
 * `ResourceNotFoundException` for any other id. The local runtime serves the provider API key
 * through it (point `AWS_ENDPOINT_URL_SECRETS_MANAGER` at `url`), so the handlers read the key
 * through the real SDK client and Powertools Parameters, exactly as on AWS.
 *
 * Values never appear in errors or logs; only read counts are kept.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const LOOPBACK = '127.0.0.1';
const MAX_BODY_BYTES = 64 * 1024;

export interface SecretsEndpointOptions {
  /** Loopback port. @default 0 (a free port) */
  readonly port?: number;
}

export interface SecretsEndpoint {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  readonly url: string;
  /** Sets (or replaces: a rotation) a plain-string secret. */
  setSecret(secretId: string, value: string): void;
  /** GetSecretValue calls for this secret id so far. */
  reads(secretId: string): number;
  /** Closes every connection and the server. Idempotent. */
  stop(): Promise<void>;
}

type Reply = (status: number, body: unknown) => void;

function replier(res: ServerResponse): Reply {
  return (status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(body));
  };
}

export async function startSecretsEndpoint(
  secrets: Record<string, string> = {},
  options: SecretsEndpointOptions = {},
): Promise<SecretsEndpoint> {
  const values = new Map(Object.entries(secrets));
  const readCounts = new Map<string, number>();

  const getSecretValue = (text: string, reply: Reply) => {
    let secretId: unknown;
    try {
      secretId = (JSON.parse(text) as { SecretId?: unknown } | null)?.SecretId;
    } catch {
      reply(400, { __type: 'SerializationException', message: 'the body is not JSON' });
      return;
    }
    if (typeof secretId !== 'string' || secretId === '') {
      reply(400, { __type: 'ValidationException', message: 'SecretId is required' });
      return;
    }
    readCounts.set(secretId, (readCounts.get(secretId) ?? 0) + 1);
    const value = values.get(secretId);
    if (value === undefined) {
      reply(400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
      return;
    }
    reply(200, {
      ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${secretId}-AbCdEf`,
      Name: secretId,
      SecretString: value,
      VersionId: '00000000-0000-0000-0000-000000000000',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_700_000_000,
    });
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const reply = replier(res);
      if (size > MAX_BODY_BYTES) {
        reply(413, { __type: 'ValidationException', message: 'request too large' });
        return;
      }
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        reply(400, {
          __type: 'UnknownOperationException',
          message: 'only GetSecretValue is served by the local Secrets Manager',
        });
        return;
      }
      getSecretValue(Buffer.concat(chunks).toString('utf8'), reply);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    url: `http://${LOOPBACK}:${port}`,
    setSecret: (secretId, value) => {
      values.set(secretId, value);
    },
    reads: (secretId) => readCounts.get(secretId) ?? 0,
    stop: () => {
      stopping ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopping;
    },
  };
}
