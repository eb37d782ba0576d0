import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SystemicFault, errorParts } from '../domain/errors';
import type { ApiKeySource } from './http-payment-provider';

/** Cache the key this long (a rotated key is picked up within it, or at once after a 401). */
export const API_KEY_MAX_AGE_SECONDS = 300;

/**
 * The provider API key: a plain-string Secrets Manager secret, read through Powertools Parameters
 * (cached for API_KEY_MAX_AGE_SECONDS) on the first provider call, not at cold start, and never
 * logged. The SecretsProvider is given the shared, traced client rather than building its own.
 */
export function apiKeyFromSecret(secretId: string, client: SecretsManagerClient): ApiKeySource {
  const secrets = new SecretsProvider({ awsSdkV3Client: client });
  let forceFetch = false;
  let inFlight: Promise<string> | undefined;

  const fetchKey = async (): Promise<string> => {
    let value: unknown;
    try {
      value = await secrets.get(secretId, { maxAge: API_KEY_MAX_AGE_SECONDS, forceFetch });
    } catch (err) {
      // Powertools wraps the SDK error (GetParameterError); the SDK's name is the useful part.
      const cause = (err as { cause?: unknown } | null)?.cause ?? err;
      const { name } = errorParts(cause);
      throw new SystemicFault(
        `could not read the payment provider API key from secret ${JSON.stringify(secretId)}: ${name}`,
        { cause: err },
      );
    }
    if (typeof value !== 'string' || value.trim() === '') {
      throw new SystemicFault(
        `secret ${JSON.stringify(secretId)} has no SecretString: expected the provider API key as plain text`,
      );
    }
    forceFetch = false;
    return value.trim();
  };

  return {
    get() {
      // Parallel first calls share one read.
      inFlight ??= fetchKey().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate() {
      forceFetch = true;
    },
  };
}
