// Builds a txconfirm stack for the infra tests (not a test file itself). Build once per test file:
// Template.fromStack costs seconds.
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { loadStageConfig, type TxconfirmConfig } from '../../lib/config';
import { buildTxconfirmApp } from '../../lib/txconfirm-app';
import { type CfnTemplate, resolveIntrinsics } from '../../local/stack/synthesized-definition';

/** Skip esbuild in tests (`cdk synth` bundles for real); the template is otherwise identical. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export function synthStage(stageOrConfig: string | TxconfirmConfig) {
  const { app, stack } = buildTxconfirmApp({
    // A stage by name is loaded as offline tools load it (its unset provider values filled in).
    config:
      typeof stageOrConfig === 'string'
        ? loadStageConfig({ stage: stageOrConfig, offline: true })
        : stageOrConfig,
    appProps: { context: NO_BUNDLING },
  });
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() as CfnTemplate };
}

/** The logical id of an L2 construct's CloudFormation resource. */
export function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** One widget of a dashboard body. */
export interface DashboardWidget {
  type: string;
  properties: Record<string, unknown>;
}

/**
 * The widgets of the template's one dashboard, every intrinsic resolved; alarm ARNs become
 * `alarm:<logical id>`.
 */
export function dashboardWidgets(json: CfnTemplate): DashboardWidget[] {
  const resources = json.Resources;
  const dashboards = Object.values(resources).filter(
    (r) => r.Type === 'AWS::CloudWatch::Dashboard',
  );
  if (dashboards.length !== 1) throw new Error(`expected 1 dashboard, got ${dashboards.length}`);
  // The offline resolver has no ARN format for alarms: name them by logical id instead.
  const alarmArns = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(alarmArns);
    if (value && typeof value === 'object') {
      const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      if (getAtt && resources[getAtt[0]]?.Type === 'AWS::CloudWatch::Alarm') {
        return `alarm:${getAtt[0]}`;
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, alarmArns(v)]));
    }
    return value;
  };
  const body = resolveIntrinsics(json, alarmArns(dashboards[0].Properties?.DashboardBody));
  return (JSON.parse(body as string) as { widgets: DashboardWidget[] }).widgets;
}
