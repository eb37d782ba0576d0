/**
 * The architecture diagram model: every resource of the synthesized template, grouped by type
 * (one node per resource for the types that matter, one node per type with its count for the
 * rest), and the edges read from the template: schedule targets, the tasks of the ASL, IAM
 * policies, environment variables, alarm actions, metric filters. The renderers are in mermaid.ts
 * and dot.ts.
 */
import type { LocalStack } from '../../local/stack/stack-template';
import {
  type AslState,
  type CfnResource,
  type CfnTemplate,
  type SynthesizedFunction,
  resolveIntrinsics,
} from '../../local/stack/synthesized-definition';
import { subDefinitions } from './state-machine-model';

export interface ArchNode {
  readonly id: string;
  readonly lines: readonly string[];
  /** The CloudFormation types the node stands for (none for outside-the-stack nodes). */
  readonly types: readonly string[];
}
export interface ArchGroup {
  readonly id: string;
  readonly title: string;
  readonly nodes: ArchNode[];
}
export interface ArchEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly dashed: boolean;
}
export interface ArchModel {
  readonly title: string;
  readonly groups: readonly ArchGroup[];
  readonly edges: readonly ArchEdge[];
}

/** Types drawn one node per resource (the rest: one node per type with its count). */
const ITEMIZED_TYPES = [
  'AWS::Scheduler::Schedule',
  'AWS::StepFunctions::StateMachine',
  'AWS::Events::Rule',
  'AWS::Lambda::Function',
  'AWS::DynamoDB::Table',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::KMS::Key',
  'AWS::CloudWatch::Dashboard',
  'AWS::Logs::MetricFilter',
];

/** CDK logical id without its 8-hex hash: `StartRunFunction03DCE253` → `StartRunFunction`. */
export function friendly(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

function safeId(text: string): string {
  return text.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Logical ids a template value references (Ref, Fn::GetAtt, Fn::Sub), in order, unique. */
function references(value: unknown, template: CfnTemplate, found: string[] = []): string[] {
  const add = (id: string): void => {
    if (id in template.Resources && !found.includes(id)) found.push(id);
  };
  if (Array.isArray(value)) {
    for (const v of value) references(v, template, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, arg] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'Ref' && typeof arg === 'string') add(arg);
      else if (key === 'Fn::GetAtt')
        add(typeof arg === 'string' ? arg.split('.')[0] : String((arg as unknown[])[0]));
      else if (key === 'Fn::Sub') {
        const text = typeof arg === 'string' ? arg : String((arg as unknown[])[0]);
        for (const m of text.matchAll(/\$\{([^}!.]+)[^}]*\}/g)) add(m[1]);
        if (Array.isArray(arg)) references(arg[1], template, found);
      } else references(arg, template, found);
    }
  }
  return found;
}

const STATUS_TYPE_ORDER = (type: string): number => {
  const i = ITEMIZED_TYPES.indexOf(type);
  return i === -1 ? ITEMIZED_TYPES.length : i;
};

type Resources = readonly [string, CfnResource][];

/** The groups of nodes, one per itemized type, and the node each logical id is drawn as. */
interface ResourceNodes {
  readonly groups: ArchGroup[];
  /** The non-itemized types, one node each (its own group, drawn after the itemized ones). */
  readonly supporting: ArchGroup;
  /** Logical id → node id. */
  readonly nodeOf: Map<string, string>;
}

function resourceNodes(stack: LocalStack, resources: Resources): ResourceNodes {
  const { template } = stack;
  const byType = new Map<string, [string, CfnResource][]>();
  for (const entry of resources) {
    const list = byType.get(entry[1].Type) ?? [];
    list.push(entry);
    byType.set(entry[1].Type, list);
  }
  const types = [...byType.keys()].sort(
    (a, b) => STATUS_TYPE_ORDER(a) - STATUS_TYPE_ORDER(b) || a.localeCompare(b),
  );
  const resolve = (value: unknown): unknown => resolveIntrinsics(template, value);
  const fnByLogicalId = functionsByLogicalId(stack);

  const nodeOf = new Map<string, string>(); // logical id → node id
  const groups: ArchGroup[] = [];
  const supporting: ArchGroup = { id: 'G_supporting', title: 'Supporting resources', nodes: [] };
  for (const type of types) {
    const list = byType.get(type) ?? [];
    if (!ITEMIZED_TYPES.includes(type)) {
      const id = `T_${safeId(type)}`;
      supporting.nodes.push({ id, lines: [`${type} ×${list.length}`], types: [type] });
      for (const [logicalId] of list) nodeOf.set(logicalId, id);
      continue;
    }
    const group: ArchGroup = {
      id: `G_${safeId(type)}`,
      title: `${type} ×${list.length}`,
      nodes: [],
    };
    for (const [logicalId, resource] of list) {
      const props = resource.Properties ?? {};
      const lines = [friendly(logicalId)];
      const name =
        props.FunctionName ??
        props.StateMachineName ??
        props.TopicName ??
        props.Name ??
        props.TableName;
      if (name !== undefined) lines.push(String(resolve(name)));
      const fn = fnByLogicalId.get(logicalId);
      if (fn?.entry) lines.push(fn.entry);
      if (typeof props.ScheduleExpression === 'string') {
        lines.push(
          `${props.ScheduleExpression} (${String(props.State ?? 'ENABLED')} in this stage)`,
        );
      }
      if (typeof props.StateMachineType === 'string') lines.push(props.StateMachineType);
      group.nodes.push({ id: safeId(logicalId), lines, types: [type] });
      nodeOf.set(logicalId, safeId(logicalId));
    }
    groups.push(group);
  }
  return { groups, supporting, nodeOf };
}

function functionsByLogicalId(stack: LocalStack): Map<string, SynthesizedFunction> {
  return new Map(Object.values(stack.definition.functionsByArn).map((f) => [f.logicalId, f]));
}

/** What the edge rules of each resource type draw with. */
interface EdgeContext {
  readonly stack: LocalStack;
  readonly template: CfnTemplate;
  readonly resources: Resources;
  readonly fnByLogicalId: ReadonlyMap<string, SynthesizedFunction>;
  /** IAM policy statements by the role they are attached to. */
  readonly policiesOfRole: ReadonlyMap<string, Record<string, unknown>[]>;
  /** The node a logical id is drawn as. */
  readonly to: (logicalId: string) => string;
  /** Adds an edge, or a label to the edge already drawn between the two nodes. */
  readonly edge: (from: string, to: string, label: string, dashed?: boolean) => void;
  /** Adds a node outside the stack (once); its id. */
  readonly externalNode: (id: string, lines: string[]) => string;
}

export function architectureModel(stack: LocalStack): ArchModel {
  const { template, definition } = stack;
  const resources = Object.entries(template.Resources);
  const { groups, supporting, nodeOf } = resourceNodes(stack, resources);

  const external: ArchGroup = { id: 'G_external', title: 'Outside the stack', nodes: [] };
  const edges = new Map<string, { from: string; to: string; labels: string[]; dashed: boolean }>();
  const context: EdgeContext = {
    stack,
    template,
    resources,
    fnByLogicalId: functionsByLogicalId(stack),
    policiesOfRole: policiesByRole(template, resources),
    to: (logicalId) => nodeOf.get(logicalId) ?? safeId(logicalId),
    edge: (from, to, label, dashed = false) => {
      const key = `${from}->${to}`;
      const found = edges.get(key);
      if (!found) edges.set(key, { from, to, labels: label ? [label] : [], dashed });
      else if (label && !found.labels.includes(label)) found.labels.push(label);
    },
    externalNode: (id, lines) => {
      if (!external.nodes.some((n) => n.id === id)) external.nodes.push({ id, lines, types: [] });
      return id;
    },
  };
  for (const [logicalId, resource] of resources) resourceEdges(context, logicalId, resource);

  if (supporting.nodes.length > 0) groups.push(supporting);
  if (external.nodes.length > 0) groups.push(external);
  return {
    title: `txconfirm: ${definition.stateMachineName} stack (${resources.length} resources)`,
    groups,
    edges: [...edges.values()].map((e) => ({
      from: e.from,
      to: e.to,
      label: e.labels.join('; '),
      dashed: e.dashed,
    })),
  };
}

/** Policies by the role they are attached to. */
function policiesByRole(
  template: CfnTemplate,
  resources: Resources,
): Map<string, Record<string, unknown>[]> {
  const policiesOfRole = new Map<string, Record<string, unknown>[]>();
  for (const [, resource] of resources) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const statements = ((resource.Properties?.PolicyDocument as Record<string, unknown>)
      ?.Statement ?? []) as Record<string, unknown>[];
    for (const role of references(resource.Properties?.Roles, template)) {
      policiesOfRole.set(role, [...(policiesOfRole.get(role) ?? []), ...statements]);
    }
  }
  return policiesOfRole;
}

/** The edges out of (or, for an event rule's pattern, into) one resource. */
function resourceEdges(context: EdgeContext, logicalId: string, resource: CfnResource): void {
  const { template, edge, to } = context;
  const props = resource.Properties ?? {};
  const self = to(logicalId);
  switch (resource.Type) {
    case 'AWS::Scheduler::Schedule': {
      const target = (props.Target ?? {}) as Record<string, unknown>;
      for (const id of references(target.Arn, template)) edge(self, to(id), 'starts');
      for (const id of references(target.DeadLetterConfig, template))
        edge(self, to(id), 'dead letters', true);
      break;
    }
    case 'AWS::StepFunctions::StateMachine':
      stateMachineEdges(context, logicalId, props);
      break;
    case 'AWS::Events::Rule': {
      const pattern = (props.EventPattern ?? {}) as Record<string, unknown>;
      const detail = (pattern.detail ?? {}) as Record<string, unknown>;
      const statuses = Array.isArray(detail.status) ? ` ${detail.status.join(' / ')}` : '';
      for (const id of references(pattern, template))
        edge(to(id), self, `status change${statuses}`, true);
      for (const target of (props.Targets ?? []) as Record<string, unknown>[]) {
        for (const id of references(target.Arn, template)) edge(self, to(id), 'invokes');
        for (const id of references(target.DeadLetterConfig, template))
          edge(self, to(id), 'dead letters', true);
      }
      break;
    }
    case 'AWS::Lambda::Function':
      lambdaEdges(context, logicalId, props);
      break;
    case 'AWS::CloudWatch::Alarm':
      for (const id of references([props.AlarmActions, props.OKActions], template))
        edge(self, to(id), 'alarm / ok actions');
      break;
    case 'AWS::SNS::Topic':
      for (const id of references(props.KmsMasterKeyId, template))
        edge(self, to(id), 'encrypted with', true);
      break;
    case 'AWS::Logs::MetricFilter':
      metricFilterEdges(context, logicalId, props);
      break;
    default:
      break;
  }
}

/** The functions (and the state machine itself) its Task states call, labelled with the states. */
function stateMachineEdges(
  context: EdgeContext,
  logicalId: string,
  props: Record<string, unknown>,
): void {
  const { template, edge, to } = context;
  const { definition } = context.stack;
  const self = to(logicalId);
  const tasks = new Map<string, string[]>();
  const visit = (states: Record<string, AslState>): void => {
    for (const [name, state] of Object.entries(states)) {
      for (const sub of subDefinitions(state)) visit(sub.States);
      if (state.Type !== 'Task') continue;
      const params = (state.Parameters ?? {}) as Record<string, unknown>;
      const resourceArn = String(state.Resource ?? '');
      const fn =
        definition.functionsByArn[String(params.FunctionName)] ??
        definition.functionsByArn[resourceArn];
      const key = fn
        ? to(fn.logicalId)
        : resourceArn.endsWith(':states:startExecution') &&
            params['StateMachineArn.$'] === '$$.StateMachine.Id'
          ? self
          : undefined;
      if (key) tasks.set(key, [...(tasks.get(key) ?? []), name]);
    }
  };
  if (logicalId === definition.stateMachineLogicalId) visit(definition.definition.States);
  for (const [target, names] of tasks) {
    edge(self, target, target === self ? `${names.join(', ')} (startExecution)` : names.join(', '));
  }
  for (const id of references(props.LoggingConfiguration, template))
    edge(self, to(id), 'execution logs', true);
}

/** What a function's role lets it call, what its environment names, its dead-letter queue. */
function lambdaEdges(
  context: EdgeContext,
  logicalId: string,
  props: Record<string, unknown>,
): void {
  const { template, edge, to, externalNode } = context;
  const self = to(logicalId);
  const fn = context.fnByLogicalId.get(logicalId);
  const covered = new Set<string>();
  for (const role of references(props.Role, template)) {
    for (const statement of context.policiesOfRole.get(role) ?? []) {
      const actions = ([] as string[]).concat(statement.Action as string[] | string);
      const shortActions = actions.map((a) => a.replace(/^[a-z0-9-]+:/, '')).join(', ');
      for (const id of references(statement.Resource, template)) {
        edge(self, to(id), shortActions);
        covered.add(id);
      }
      for (const arn of ([] as unknown[]).concat(statement.Resource)) {
        const text = typeof arn === 'string' ? arn : String(resolveIntrinsics(template, arn));
        const secret = /:secretsmanager:[^:]*:[^:]*:secret:(.+?)(-\?{6})?$/.exec(text);
        if (secret) {
          const id = externalNode(`X_secret_${safeId(secret[1])}`, [
            'Secrets Manager secret',
            secret[1],
            '(referenced, not created by the stack)',
          ]);
          edge(self, id, shortActions);
        }
      }
    }
  }
  const variables = ((props.Environment as Record<string, unknown>)?.Variables ?? {}) as Record<
    string,
    unknown
  >;
  for (const [variable, value] of Object.entries(variables)) {
    for (const id of references(value, template))
      if (!covered.has(id)) edge(self, to(id), variable);
    const text = fn?.environment[variable];
    if (text && /^https?:\/\//.test(text)) {
      const id = externalNode(`X_${safeId(variable)}`, ['payment provider (external)', text]);
      edge(self, id, `HTTPS (${variable})`);
    }
  }
  for (const id of references(props.DeadLetterConfig, template))
    edge(self, to(id), 'dead letters (async)', true);
}

/** The log group a metric filter reads, and the alarms on the metrics it writes. */
function metricFilterEdges(
  context: EdgeContext,
  logicalId: string,
  props: Record<string, unknown>,
): void {
  const { template, edge, to } = context;
  const self = to(logicalId);
  for (const id of references(props.LogGroupName, template)) edge(self, to(id), 'filters', true);
  for (const t of (props.MetricTransformations ?? []) as Record<string, unknown>[]) {
    for (const [alarmId, alarm] of context.resources) {
      const a = alarm.Properties ?? {};
      if (
        alarm.Type === 'AWS::CloudWatch::Alarm' &&
        a.MetricName === t.MetricName &&
        a.Namespace === t.MetricNamespace
      ) {
        edge(self, to(alarmId), `metric ${String(t.MetricName)}`, true);
      }
    }
  }
}
