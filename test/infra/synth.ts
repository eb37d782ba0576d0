// Builds a txconfirm stack for the infra tests (not a test file itself). Build once per test file:
// Template.fromStack costs seconds.
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { TxconfirmConfig } from '../../lib/config';
import { buildTxconfirmApp } from '../../lib/txconfirm-app';
import type { CfnTemplate } from '../../local/synthesized-definition';

/** Skip esbuild in tests (`cdk synth` bundles for real); the template is otherwise identical. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export function synthStage(stageOrConfig: string | TxconfirmConfig) {
  const { app, stack } = buildTxconfirmApp({
    ...(typeof stageOrConfig === 'string' ? { stage: stageOrConfig } : { config: stageOrConfig }),
    appProps: { context: NO_BUNDLING },
  });
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() as CfnTemplate };
}

/** The logical id of an L2 construct's CloudFormation resource. */
export function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}
