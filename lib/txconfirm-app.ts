import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadStageConfig, type TxconfirmConfig } from './config';
import { TxconfirmStack } from './txconfirm-stack';

export interface TxconfirmAppOptions {
  /** The stage to synthesize; ignored when `config` is given. @default the `stage` context, else dev */
  readonly stage?: string;
  /** A validated config instead of loading the stage's (tests, tools). */
  readonly config?: TxconfirmConfig;
  /** Passed to the App (context, outdir, ...). */
  readonly appProps?: AppProps;
}

/**
 * Builds the txconfirm CDK app: the stage's config (lib/config: its file, the CDK context and the
 * defaults, validated) → the `Txconfirm-<stage>` stack, checked by cdk-nag's AwsSolutions pack.
 * bin/app.ts, the tests and local tools all build it here.
 */
export function buildTxconfirmApp(options: TxconfirmAppOptions = {}): {
  app: App;
  stack: TxconfirmStack;
} {
  const app = new App(options.appProps);
  const config =
    options.config ?? loadStageConfig({ stage: options.stage, context: app.node.getAllContext() });
  const stack = new TxconfirmStack(app, `Txconfirm-${config.stage}`, {
    config,
    description: `txconfirm (${config.stage}): confirms pending payment transactions on a schedule`,
    env:
      config.account !== undefined || config.region !== undefined
        ? { account: config.account, region: config.region }
        : undefined,
  });
  // cdk-nag 3 runs as a CDK policy-validation plugin: any unacknowledged finding fails the synth.
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
  );
  return { app, stack };
}
