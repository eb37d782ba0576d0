/**
 * A Distributed Map's child executions as Step Functions names them (the runner,
 * distributed-map.ts, starts them): their ARNs, `arn:…:execution:<machine>/<map>:<name>` for a
 * STANDARD child and `arn:…:express:<machine>/<map>:<name>:<id>` for an EXPRESS one, the name a
 * random UUID, and their context object: `$$.Execution` (Id, Name, Input, StartTime, the
 * parent's RoleArn, RedriveCount) and `$$.StateMachine`, the parent's with the Map's name appended.
 */
import { randomUUID } from 'node:crypto';

/** A child execution's identity and what its `$$.Execution` reports of it. */
export interface ChildIdentity {
  readonly arn: string;
  readonly name: string;
  /** The child's input (`$$.Execution.Input`). */
  readonly input: unknown;
  /** 0, or one more than the stopped child's when a redrive runs it again. */
  readonly redriveCount: number;
}

/** The child's context object, started now: its `$$.Execution` and `$$.StateMachine`. */
export function childContext(
  parent: Record<string, unknown>,
  stateName: string,
  child: ChildIdentity,
): Record<string, unknown> {
  return {
    Execution: {
      Id: child.arn,
      Name: child.name,
      Input: child.input,
      StartTime: new Date().toISOString(),
      RoleArn: (parent.Execution as { RoleArn?: string } | undefined)?.RoleArn,
      RedriveCount: child.redriveCount,
    },
    StateMachine: childStateMachine(parent, stateName),
  };
}

/** The child's `$$.StateMachine`: the parent's, with the Map's name appended, as on AWS. */
function childStateMachine(
  parent: Record<string, unknown>,
  stateName: string,
): Record<string, unknown> {
  const sm = (parent.StateMachine ?? {}) as { Id?: string; Name?: string };
  return { Id: `${sm.Id ?? ''}/${stateName}`, Name: `${sm.Name ?? ''}/${stateName}` };
}

/** Child execution ARNs: `arn:…:execution:<machine>/<map>:<id>` (EXPRESS: `…:express:…:<id>:<id>`). */
export function childArnFactory(
  parent: Record<string, unknown>,
  stateName: string,
  type: 'STANDARD' | 'EXPRESS',
): () => { arn: string; name: string } {
  const parentArn = String((parent.Execution as { Id?: string } | undefined)?.Id ?? '');
  const [arn = 'arn', partition = 'aws', service = 'states', region = '', account = ''] =
    parentArn.split(':');
  const machine = String((parent.StateMachine as { Name?: string } | undefined)?.Name ?? '');
  const prefix = `${arn}:${partition}:${service}:${region}:${account}:${type === 'EXPRESS' ? 'express' : 'execution'}:${machine}/${stateName}`;
  return () => {
    const name = randomUUID();
    return {
      arn: type === 'EXPRESS' ? `${prefix}:${name}:${randomUUID()}` : `${prefix}:${name}`,
      name,
    };
  };
}
