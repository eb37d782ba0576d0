/**
 * The synthesized stack as the local runtime and the tests see it: one CDK synth (no esbuild
 * bundling, no AWS account), then everything local — tables, ASL, function environments — is read
 * from that template. Nothing here re-declares what lib/ defines (docs/architecture.md §6).
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { ENV } from '../../lambdas/contracts';
import { loadStageConfig, type TxconfirmConfig } from '../../lib/config';
import { buildTxconfirmApp } from '../../lib/txconfirm-app';
import {
  type CfnTemplate,
  type SynthesizedDefinition,
  TemplateResolutionError,
  resolveIntrinsics,
  synthesizedDefinition,
} from './synthesized-definition';

/** Context that makes NodejsFunction skip esbuild: the local runtime runs the handlers in-process. */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export interface SynthesizeOptions {
  /** A stage (config/<stage>.json), loaded offline: its unset provider values are OFFLINE_VALUES. @default 'dev' */
  readonly stage?: string;
  /** A validated config instead of a named stage. */
  readonly config?: TxconfirmConfig;
  /**
   * Run CDK's built-in CloudFormation validation (a WASM module that keeps ~190 MB for the life
   * of the process). The local runtime turns it off; `cdk synth`, the tests and the tools keep it.
   * cdk-nag runs either way. @default true
   */
  readonly cloudFormationValidation?: boolean;
}

/** Synthesizes the txconfirm stack (cdk-nag included) and returns its CloudFormation template. */
export function synthesizeStackTemplate(options: SynthesizeOptions = {}): CfnTemplate {
  const { app, stack } = buildTxconfirmApp({
    config: options.config ?? loadStageConfig({ stage: options.stage, offline: true }),
    appProps: {
      context: NO_BUNDLING,
      outdir: undefined,
      builtinCloudFormationValidation: options.cloudFormationValidation ?? true,
    },
  });
  const assembly = app.synth();
  return assembly.getStackByName(stack.stackName).template as CfnTemplate;
}

/** The names the handlers are given for the stack's tables (as their environment says). */
export interface StackTableNames {
  readonly transactions: string;
  readonly pendingIndex: string;
  readonly runs: string;
}

/** The whole local view of a synthesized stack. */
export interface LocalStack {
  readonly template: CfnTemplate;
  readonly definition: SynthesizedDefinition;
  readonly tables: readonly CreateTableCommandInput[];
  readonly tableNames: StackTableNames;
  /** Names of the stack's S3 buckets (the page manifests), as the resolver gives them. */
  readonly buckets: readonly string[];
}

export function localStack(template: CfnTemplate): LocalStack {
  const definition = synthesizedDefinition(template);
  return {
    template,
    definition,
    tables: tableDefinitionsFromTemplate(template),
    tableNames: tableNamesFromTemplate(definition),
    buckets: bucketNamesFromTemplate(template),
  };
}

/** Every AWS::S3::Bucket of the template, named as a Ref to it resolves. */
export function bucketNamesFromTemplate(template: CfnTemplate): string[] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::S3::Bucket')
    .map(([logicalId]) => String(resolveIntrinsics(template, { Ref: logicalId })));
}

/** CreateTable inputs for every AWS::DynamoDB::Table of the template (names as the resolver gives them). */
export function tableDefinitionsFromTemplate(template: CfnTemplate): CreateTableCommandInput[] {
  const tables: CreateTableCommandInput[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::DynamoDB::Table') continue;
    const props = (resolveIntrinsics(template, resource.Properties ?? {}) ?? {}) as Record<
      string,
      unknown
    >;
    const gsis = props.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'];
    tables.push({
      TableName: (props.TableName as string | undefined) ?? logicalId,
      KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
      AttributeDefinitions:
        props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
      // dynalite ignores capacity; PAY_PER_REQUEST keeps the input valid for it either way.
      BillingMode: 'PAY_PER_REQUEST',
      ...(gsis && gsis.length > 0
        ? {
            GlobalSecondaryIndexes: gsis.map((gsi) => ({
              IndexName: gsi.IndexName,
              KeySchema: gsi.KeySchema,
              Projection: gsi.Projection,
            })),
          }
        : {}),
    });
  }
  return tables;
}

/** Reads the table and index names from the functions' environment (the stack wires them there). */
export function tableNamesFromTemplate(definition: SynthesizedDefinition): StackTableNames {
  const found: Partial<Record<keyof StackTableNames, string>> = {};
  const wanted: Record<keyof StackTableNames, string> = {
    transactions: ENV.TRANSACTIONS_TABLE,
    pendingIndex: ENV.PENDING_INDEX,
    runs: ENV.RUNS_TABLE,
  };
  for (const fn of Object.values(definition.functionsByArn)) {
    for (const [key, variable] of Object.entries(wanted) as [keyof StackTableNames, string][]) {
      const value = fn.environment[variable];
      if (value === undefined) continue;
      if (found[key] !== undefined && found[key] !== value) {
        throw new TemplateResolutionError(
          `Functions disagree on ${variable}: ${found[key]} vs ${value}`,
        );
      }
      found[key] = value;
    }
  }
  for (const [key, variable] of Object.entries(wanted) as [keyof StackTableNames, string][]) {
    if (found[key] === undefined) {
      throw new TemplateResolutionError(`No function of the template has ${variable} set`);
    }
  }
  return found as StackTableNames;
}
