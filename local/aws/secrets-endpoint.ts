/**
 * A loopback stand-in for AWS Secrets Manager: it answers `GetSecretValue` and `DescribeSecret`
 * over the JSON 1.1 protocol (`X-Amz-Target: secretsmanager.<Operation>`) for the secrets it was
 * given, and `ResourceNotFoundException` for any other id. The local runtime serves the provider
 * API key through it (point `AWS_ENDPOINT_URL_SECRETS_MANAGER` at `url`), so the handlers read the
 * key through the real SDK client and Powertools Parameters, exactly as on AWS; `txc doctor
 * --local` asks DescribeSecret whether the key is there, as it does on AWS.
 *
 * Values never appear in errors or logs, nor in DescribeSecret (metadata only, as on AWS); only
 * read counts are kept.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnLoopback, readBody, RequestBodyTooLarge } from '../http/loopback-server';

/** A GetSecretValue request is a few hundred bytes; anything near this is not one. */
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

/** The one version each secret has here (a rotation replaces the value, not the version). */
const VERSION_ID = '00000000-0000-0000-0000-000000000000';
const OPERATIONS = ['GetSecretValue', 'DescribeSecret'] as const;
type Operation = (typeof OPERATIONS)[number];

const secretArn = (secretId: string) =>
  `arn:aws:secretsmanager:us-east-1:000000000000:secret:${secretId}-AbCdEf`;

function operationOf(header: string | string[] | undefined): Operation | undefined {
  return OPERATIONS.find((op) => header === `secretsmanager.${op}`);
}

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
  /** Epoch seconds the endpoint started (the secrets' CreatedDate). */
  const createdAt = Math.floor(Date.now() / 1000);
  /** Epoch seconds of the last setSecret per id (DescribeSecret's LastChangedDate). */
  const changedAt = new Map<string, number>();

  const answer = (operation: Operation, text: string, reply: Reply) => {
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
    // Read counts are GetSecretValue calls: DescribeSecret does not read the value.
    if (operation === 'GetSecretValue') {
      readCounts.set(secretId, (readCounts.get(secretId) ?? 0) + 1);
    }
    const value = values.get(secretId);
    if (value === undefined) {
      reply(400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
      return;
    }
    if (operation === 'DescribeSecret') {
      reply(200, {
        ARN: secretArn(secretId),
        Name: secretId,
        VersionIdsToStages: { [VERSION_ID]: ['AWSCURRENT'] },
        CreatedDate: createdAt,
        LastChangedDate: changedAt.get(secretId) ?? createdAt,
      });
      return;
    }
    reply(200, {
      ARN: secretArn(secretId),
      Name: secretId,
      SecretString: value,
      VersionId: VERSION_ID,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: createdAt,
    });
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    readBody(req, MAX_BODY_BYTES).then(
      (text) => {
        const reply = replier(res);
        const operation = operationOf(req.headers['x-amz-target']);
        if (operation === undefined) {
          reply(400, {
            __type: 'UnknownOperationException',
            message: `only ${OPERATIONS.join(' and ')} are served by the local Secrets Manager`,
          });
          return;
        }
        answer(operation, text, reply);
      },
      (error: unknown) => {
        if (error instanceof RequestBodyTooLarge) {
          replier(res)(413, { __type: 'ValidationException', message: 'request too large' });
        }
        // Otherwise the client's connection broke mid-request: there is no one to answer.
      },
    );
  });
  const listener = await listenOnLoopback(server, options.port ?? 0);

  return {
    url: listener.url,
    setSecret: (secretId, value) => {
      values.set(secretId, value);
      changedAt.set(secretId, Math.floor(Date.now() / 1000));
    },
    reads: (secretId) => readCounts.get(secretId) ?? 0,
    stop: () => listener.close(),
  };
}
