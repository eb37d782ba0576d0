/**
 * Named errors of the operator CLI. `txc` prints every error as `Name: message` (never a stack
 * trace) and exits 2 for usage errors, 1 for everything else (ops/program.ts).
 */
import { ERROR } from '../lambdas/contracts';
import { errorParts } from '../lambdas/domain/errors';

export class NamedError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** A flag or argument is wrong; nothing was sent. Exit code 2. */
export class UsageError extends NamedError {
  constructor(message: string) {
    super('UsageError', message);
  }
}

/** `--local`: nothing listens at the endpoint. */
export class EndpointUnreachable extends NamedError {
  /** `serve`: the command that starts an endpoint there (ops/target-spec.ts localServeCommand). */
  constructor(endpoint: string, options?: { cause?: unknown; serve?: string }) {
    super(
      'EndpointUnreachable',
      `nothing answers at ${endpoint} — start it with \`${options?.serve ?? 'npm run txc -- local serve'}\``,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
  }
}

/** `--local`: something answers, but not a txc local endpoint (or an incompatible one). */
export class LocalEndpointInvalid extends NamedError {
  constructor(message: string) {
    super('LocalEndpointInvalid', message);
  }
}

/** `--stage`: the stack does not exist in that account and region. */
export class StackNotFound extends NamedError {
  constructor(stackName: string, region: string) {
    super('StackNotFound', `stack ${stackName} not found in ${region} — deploy it or pass --stage`);
  }
}

/** `--stage`: the stack lacks an output the CLI needs (deployed by an older version). */
export class MissingStackOutput extends NamedError {
  constructor(stackName: string, output: string, problem = 'has no output') {
    super(
      'MissingStackOutput',
      `stack ${stackName} ${problem} ${output} — redeploy it (npx cdk deploy ${stackName})`,
    );
  }
}

/** No AWS region from --region, AWS_REGION or the profile. */
export class RegionMissing extends NamedError {
  constructor() {
    super('RegionMissing', 'no AWS region — pass --region or set AWS_REGION (or a profile region)');
  }
}

/** The target has no schedule to pause or resume. */
export class ScheduleNotConfigured extends NamedError {
  constructor(message: string) {
    super('ScheduleNotConfigured', message);
  }
}

/** An error name that means "usage error" (exit 2) when thrown by a command. */
export function isUsageError(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'UsageError' || name === ERROR.InvalidExecutionInput;
}

/** `Name: message`; a bare `Error` with a system code (ECONNREFUSED, …) is named by the code. */
export function formatError(err: unknown): string {
  const { name, message } = errorParts(err);
  const code = (err as { code?: unknown } | null)?.code;
  const shownName = name === 'Error' && typeof code === 'string' ? code : name;
  return `${shownName}: ${message}`;
}
