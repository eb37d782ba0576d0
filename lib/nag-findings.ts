import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The start of an ARN as cdk-nag spells it in an IAM5 finding id
 * (`arn:<AWS::Partition>:<service>:<region>:<account>:`): the partition is always the pseudo
 * parameter; region and account are the stack's own when the stage sets them (`region`,
 * `account`), else their pseudo parameters. An acknowledgement must match that spelling exactly.
 */
export function nagArnPrefix(scope: IConstruct, service: string): string {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return `arn:<AWS::Partition>:${service}:${region}:${account}:`;
}
