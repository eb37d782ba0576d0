/**
 * Resource metadata recording which handler file a Lambda function runs. Written by
 * lib/txconfirm-function.ts into the template; read by local/stack/synthesized-definition.ts so that the
 * local runtime runs the same code in-process. No runtime dependencies: local/ imports it cheaply.
 */
export const HANDLER_METADATA_KEY = 'txconfirm:handler';

export interface HandlerMetadata {
  /** Entry file relative to the project root, with forward slashes: `lambdas/handlers/start-run.ts`. */
  readonly entry: string;
  /** Exported function name. */
  readonly export: string;
}
