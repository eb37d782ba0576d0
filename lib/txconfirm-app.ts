import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type TxconfirmConfig, validateConfig } from './config';
import { stageConfig } from './stages';
import { TxconfirmStack } from './txconfirm-stack';

export interface TxconfirmAppOptions {
  /** A stage of lib/stages.ts; ignored when `config` is given. @default 'dev' */
  readonly stage?: string;
  /** A full config instead of a named stage (tests, tools). */
  readonly config?: TxconfirmConfig;
  /** Passed to the App (context, outdir, ...). */
  readonly appProps?: AppProps;
}

/**
 * Builds the txconfirm CDK app: stage config → validateConfig → the `Txconfirm-<stage>` stack,
 * checked by cdk-nag's AwsSolutions pack. bin/app.ts, the tests and local tools all build it here.
 */
export function buildTxconfirmApp(options: TxconfirmAppOptions = {}): {
  app: App;
  stack: TxconfirmStack;
} {
  const app = new App(options.appProps);
  const stage = options.stage ?? (app.node.tryGetContext('stage') as string | undefined) ?? 'dev';
  const config = options.config ?? stageConfig(stage);
  validateConfig(config);
  const stack = new TxconfirmStack(app, `Txconfirm-${config.stage}`, {
    config,
    description: `txconfirm (${config.stage}): confirms pending payment transactions on a schedule`,
  });
  // cdk-nag 3 runs as a CDK policy-validation plugin: any unacknowledged finding fails the synth.
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
  );
  return { app, stack };
}
