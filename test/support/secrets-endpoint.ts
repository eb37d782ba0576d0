import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for Secrets Manager: answers the JSON 1.1 protocol's GetSecretValue
 * (`X-Amz-Target: secretsmanager.GetSecretValue`) for the configured secrets, so that the real SDK
 * client and Powertools Parameters run unchanged. Point AWS_ENDPOINT_URL_SECRETS_MANAGER at it.
 */
export interface SecretsEndpoint {
  endpoint: string;
  /** Set (or replace: a rotation) a plain-string secret. */
  setSecret(secretId: string, value: string): void;
  /** Number of GetSecretValue calls per secret id. */
  reads(secretId: string): number;
  close(): Promise<void>;
}

export async function startSecretsEndpoint(
  secrets: Record<string, string> = {},
): Promise<SecretsEndpoint> {
  const values = new Map(Object.entries(secrets));
  const readCounts = new Map<string, number>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
        reply(400, { __type: 'UnknownOperationException', message: 'not supported here' });
        return;
      }
      let secretId = '';
      try {
        secretId = String(
          (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId?: unknown }).SecretId ??
            '',
        );
      } catch {
        reply(400, { __type: 'SerializationException', message: 'bad JSON' });
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
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setSecret: (secretId, value) => {
      values.set(secretId, value);
    },
    reads: (secretId) => readCounts.get(secretId) ?? 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
