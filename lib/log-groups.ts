import { Aws, Fn } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { StageKey } from './stage-key';

/**
 * A token unique to one creation of the stack: the last group of the stack id's UUID
 * (`arn:…:stack/Txconfirm-prod/1b2c…-9f0e1d2c3b4a` → `9f0e1d2c3b4a`), resolved by CloudFormation at
 * deploy time. It stays the same across updates (a rename would replace the log group) and changes
 * when the stack is created again, so a RETAINed log group of an earlier stack never collides.
 */
export function stackUniqueSuffix(): string {
  const uuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  return Fn.select(4, Fn.split('-', uuid));
}

export interface StageLogGroupsProps {
  /** `txconfirm-<stage>` prefixes every name. */
  readonly stage: string;
  /** Encrypts every log group (and lets CloudWatch Logs use it for exactly these). @default AWS-owned keys */
  readonly stageKey?: StageKey;
}

/** What a `logs.LogGroup` takes from {@link StageLogGroups}. */
export interface LogGroupIdentity {
  readonly logGroupName: string;
  readonly encryptionKey?: kms.IKey;
}

/**
 * Names every log group of a stage (docs/security.md, "Log group names"): a fixed, readable prefix
 * plus {@link stackUniqueSuffix}, because log groups are RETAINed in production stages and a name
 * that a failed first deploy or a deleted stack left behind makes the next create fail with
 * "already exists". With a stage key, each name is also added to the key policy's list of log
 * groups CloudWatch Logs may use the key for, so a log group and its key grant cannot drift apart.
 */
export class StageLogGroups {
  private readonly suffix = stackUniqueSuffix();

  constructor(private readonly props: StageLogGroupsProps) {}

  /** `/aws/lambda/txconfirm-<stage>-<handler>-<suffix>`: where Lambda users look first. */
  forFunction(handlerName: string): LogGroupIdentity {
    return this.named(`/aws/lambda/txconfirm-${this.props.stage}-${handlerName}`);
  }

  /**
   * `/aws/vendedlogs/states/<state machine>-<suffix>`: the prefix AWS recommends for vended logs
   * (their resource policy covers `/aws/vendedlogs/*` once instead of growing per log group).
   */
  forStateMachine(stateMachineName: string): LogGroupIdentity {
    return this.named(`/aws/vendedlogs/states/${stateMachineName}`);
  }

  /** `/aws/vpc/txconfirm-<stage>-flow-logs-<suffix>`. */
  forFlowLogs(): LogGroupIdentity {
    return this.named(`/aws/vpc/txconfirm-${this.props.stage}-flow-logs`);
  }

  private named(base: string): LogGroupIdentity {
    const logGroupName = `${base}-${this.suffix}`;
    const { stageKey } = this.props;
    if (stageKey === undefined) return { logGroupName };
    stageKey.allowLogGroup(logGroupName);
    return { logGroupName, encryptionKey: stageKey.key };
  }
}
