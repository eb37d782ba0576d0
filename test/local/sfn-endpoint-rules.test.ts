// The local Step Functions endpoint's request rules are AWS's, driven by the real SFNClient: each
// test is named after the API reference statement it checks (the request parameters of
// StartExecution, DescribeExecution, ListExecutions, StopExecution, GetExecutionHistory,
// ListStateMachines, ListMapRuns, DescribeMapRun).
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { LocalRuntime } from '../../local/runtime/local-runtime';
import type { SfnEndpoint } from '../../local/aws/sfn-endpoint';
import { startSfnFixture, stopSfnFixture } from './sfn-endpoint-support';
import { rejection } from '../support/rejection';

let runtime: LocalRuntime;
let endpoint: SfnEndpoint;
let sfn: SFNClient;
let stateMachineArn: string;
/** An execution that exists (started in beforeAll). */
let executionArn: string;

beforeAll(async () => {
  ({ runtime, endpoint, sfn, stateMachineArn } = await startSfnFixture());
  const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'exists' }));
  executionArn = started.executionArn as string;
  await runtime.engine.waitForExecution(executionArn);
});

afterAll(() => stopSfnFixture({ runtime, endpoint, sfn }));

async function errorName(call: Promise<unknown>): Promise<string> {
  return (await rejection(call)).name;
}

/** An execution ARN of this machine for `name`. */
function executionArnOf(name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** JSON text of exactly `bytes` UTF-8 bytes: {"pad":"…"} filled with `fill` (1 or 2 bytes). */
function inputOfBytes(bytes: number, fill: 'x' | 'é' = 'x'): string {
  const wrapper = '{"pad":""}';
  const room = bytes - wrapper.length;
  const fillBytes = Buffer.byteLength(fill);
  const text = `{"pad":"${fill.repeat(Math.floor(room / fillBytes))}${'x'.repeat(room % fillBytes)}"}`;
  expect(Buffer.byteLength(text)).toBe(bytes);
  return text;
}

describe('StartExecution name', () => {
  it.each([
    ['a.b'],
    ['Zürich-日本'],
    ['n'.repeat(80)],
    // 80 characters, 81 UTF-16 units: AWS counts characters.
    [`${'x'.repeat(79)}😀`],
  ])(
    '"Length Constraints: Minimum length of 1. Maximum length of 80." and only the listed characters are refused: %j starts',
    async (name) => {
      const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, name }));
      expect(started.executionArn).toBe(executionArnOf(name));
      const described = await sfn.send(
        new DescribeExecutionCommand({ executionArn: started.executionArn }),
      );
      expect(described.name).toBe(name);
    },
  );

  it.each([
    ['white space', 'a b', 'U+0020'],
    ['white space', 'a\u3000b', 'U+3000'],
    ['brackets < > { } [ ]', 'a<b', 'U+003C'],
    ['brackets < > { } [ ]', 'a}b', 'U+007D'],
    ['brackets < > { } [ ]', 'a[b', 'U+005B'],
    ['wildcard characters ? *', 'a?b', 'U+003F'],
    ['wildcard characters ? *', 'a*b', 'U+002A'],
    ...[...'"#%\\^|~`$&,;:/'].map((char): [string, string, string] => [
      'special characters " # % \\ ^ | ~ ` $ & , ; : /',
      `a${char}b`,
      `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
    ]),
    ['control characters (U+0000-001F, U+007F-009F, U+FFFE-FFFF)', 'a\u0001b', 'U+0001'],
    ['control characters (U+0000-001F, U+007F-009F, U+FFFE-FFFF)', 'a\u007fb', 'U+007F'],
    ['control characters (U+0000-001F, U+007F-009F, U+FFFE-FFFF)', 'a\u009fb', 'U+009F'],
    ['control characters (U+0000-001F, U+007F-009F, U+FFFE-FFFF)', 'a\ufffeb', 'U+FFFE'],
    ['surrogates (U+D800-DFFF)', 'a\ud800b', 'U+D800'],
    ['invalid characters (U+10FFFF)', 'a\u{10ffff}b', 'U+10FFFF'],
  ])(
    '"A name must not contain: %s": %j → InvalidName naming the character',
    async (_rule, name, codePoint) => {
      const error = await rejection(sfn.send(new StartExecutionCommand({ stateMachineArn, name })));
      expect(error.name).toBe('InvalidName');
      expect(error.message).toContain(`(${codePoint}) at position 2`);
      expect(runtime.engine.listExecutions().some((r) => r.name === name)).toBe(false);
    },
  );

  it('"Length Constraints: Minimum length of 1. Maximum length of 80.": 81 characters or none → ValidationException', async () => {
    const tooLong = await rejection(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'n'.repeat(81) })),
    );
    expect(tooLong.name).toBe('ValidationException');
    expect(tooLong.message).toContain("'name'");
    expect(tooLong.message).toContain('less than or equal to 80');
    const empty = await rejection(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: '' })),
    );
    expect(empty.name).toBe('ValidationException');
    expect(empty.message).toContain('greater than or equal to 1');
  });
});

describe('StartExecution input', () => {
  afterEach(async () => {
    // The oversize-looking inputs fail the workflow's own input check at once; wait for them.
    await runtime.engine.idle();
  });

  it('"Length constraints apply to the payload size, and are expressed as bytes in UTF-8 encoding." "Maximum length of 262144.": exactly 262,144 bytes starts', async () => {
    for (const [name, input] of [
      ['max-ascii', inputOfBytes(262_144)],
      ['max-utf8', inputOfBytes(262_144, 'é')],
    ]) {
      const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
      expect(started.executionArn).toBe(executionArnOf(name));
    }
  });

  it('"Length constraints apply to the payload size, and are expressed as bytes in UTF-8 encoding." "Maximum length of 262144.": 262,145 bytes → InvalidExecutionInput, whitespace and multi-byte characters counted as sent', async () => {
    const exact = inputOfBytes(262_144);
    const inputs = {
      // One byte of whitespace more: re-serialised it would be 262,144 bytes again.
      'over-space': `${exact.slice(0, -1)} }`,
      'over-ascii': inputOfBytes(262_145),
      // 131,068 characters (fewer than 262,144) but 262,145 bytes.
      'over-utf8': inputOfBytes(262_145, 'é'),
    };
    expect(Buffer.byteLength(inputs['over-space'])).toBe(262_145);
    expect(inputs['over-utf8'].length).toBeLessThan(262_144);
    for (const [name, input] of Object.entries(inputs)) {
      const error = await rejection(
        sfn.send(new StartExecutionCommand({ stateMachineArn, name, input })),
      );
      expect(error.name).toBe('InvalidExecutionInput');
      expect(error.message).toContain('262145 bytes');
      expect(runtime.engine.listExecutions().some((r) => r.name === name)).toBe(false);
    }
  });
});

describe('StartExecution stateMachineArn and traceHeader', () => {
  it('stateMachineArn "Length Constraints: Minimum length of 1. Maximum length of 256." → ValidationException', async () => {
    const long = `${stateMachineArn}${'x'.repeat(257 - stateMachineArn.length)}`;
    expect(await errorName(sfn.send(new StartExecutionCommand({ stateMachineArn: long })))).toBe(
      'ValidationException',
    );
    expect(await errorName(sfn.send(new StartExecutionCommand({ stateMachineArn: '' })))).toBe(
      'ValidationException',
    );
  });

  it('"If you provide a qualified state machine ARN that refers to a Distributed Map state, the request fails with ValidationException."', async () => {
    expect(
      await errorName(
        sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}/ConfirmPage` })),
      ),
    ).toBe('ValidationException');
  });

  it('stateMachineArn: the ARN of an execution is an InvalidArn', async () => {
    const error = await rejection(
      sfn.send(new StartExecutionCommand({ stateMachineArn: executionArn })),
    );
    expect(error.name).toBe('InvalidArn');
    expect(error.message).toContain('Resource type not valid in this context: execution');
  });

  it('traceHeader "Length Constraints: Minimum length of 0. Maximum length of 256. Pattern: \\p{ASCII}*"', async () => {
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'trace-256',
        traceHeader: 't'.repeat(256),
      }),
    );
    expect(started.executionArn).toBe(executionArnOf('trace-256'));
    for (const traceHeader of ['t'.repeat(257), 'Root=1-é']) {
      const error = await rejection(
        sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'trace-bad', traceHeader })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain("'traceHeader'");
    }
    await runtime.engine.idle();
  });
});

describe('ListExecutions', () => {
  it('maxResults "Valid Range: Minimum value of 0. Maximum value of 1000." ("A value of 0 uses the default.")', async () => {
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000 }));
    const zero = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 0 }));
    expect(zero.executions?.map((e) => e.executionArn)).toEqual(
      all.executions?.map((e) => e.executionArn),
    );
    for (const maxResults of [1001, -1]) {
      const error = await rejection(
        sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults })),
      );
      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain("'maxResults'");
    }
  });

  it('nextToken "Length Constraints: Minimum length of 1. Maximum length of 3096.": outside → ValidationException, inside but not ours → InvalidToken', async () => {
    expect(
      await errorName(sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken: '' }))),
    ).toBe('ValidationException');
    expect(
      await errorName(
        sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken: 't'.repeat(3097) })),
      ),
    ).toBe('ValidationException');
    expect(
      await errorName(
        sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken: 't'.repeat(3096) })),
      ),
    ).toBe('InvalidToken');
  });

  it('statusFilter "Valid Values: RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE"; "If you provide a stateMachineArn and a PENDING_REDRIVE statusFilter, the API returns a validation exception."', async () => {
    const bogus = await rejection(
      sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'DONE' as never })),
    );
    expect(bogus.name).toBe('ValidationException');
    expect(bogus.message).toContain('enum value set');
    expect(
      await errorName(
        sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'PENDING_REDRIVE' })),
      ),
    ).toBe('ValidationException');
  });

  it('redriveFilter "Valid Values: REDRIVEN | NOT_REDRIVEN" (no execution is redriven locally)', async () => {
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000 }));
    const notRedriven = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: 1000,
        redriveFilter: 'NOT_REDRIVEN',
      }),
    );
    expect(notRedriven.executions).toEqual(all.executions);
    const redriven = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, redriveFilter: 'REDRIVEN' }),
    );
    expect(redriven.executions).toEqual([]);
    expect(
      await errorName(
        sfn.send(
          new ListExecutionsCommand({ stateMachineArn, redriveFilter: 'SOMETIMES' as never }),
        ),
      ),
    ).toBe('ValidationException');
  });

  it('mapRunArn "Length Constraints: Minimum length of 1. Maximum length of 2000."', async () => {
    const mapRunArn = stateMachineArn.replace(':stateMachine:', ':mapRun:').concat('/Map:');
    expect(
      await errorName(
        sfn.send(
          new ListExecutionsCommand({
            mapRunArn: mapRunArn.concat('x'.repeat(2001 - mapRunArn.length)),
          }),
        ),
      ),
    ).toBe('ValidationException');
    expect(
      await errorName(
        sfn.send(
          new ListExecutionsCommand({
            mapRunArn: mapRunArn.concat('x'.repeat(2000 - mapRunArn.length)),
          }),
        ),
      ),
    ).toBe('ResourceNotFound');
  });
});

describe('executionArn, the other operations', () => {
  it('executionArn "Length Constraints: Minimum length of 1. Maximum length of 256." → ValidationException', async () => {
    const long = executionArnOf('x'.repeat(257 - executionArnOf('').length));
    expect(long).toHaveLength(257);
    for (const call of [
      sfn.send(new DescribeExecutionCommand({ executionArn: long })),
      sfn.send(new StopExecutionCommand({ executionArn: long })),
      sfn.send(new GetExecutionHistoryCommand({ executionArn: long })),
      sfn.send(new ListMapRunsCommand({ executionArn: long })),
      sfn.send(new DescribeExecutionCommand({ executionArn: '' })),
    ]) {
      expect(await errorName(call)).toBe('ValidationException');
    }
    expect(
      await errorName(sfn.send(new DescribeExecutionCommand({ executionArn: long.slice(0, 256) }))),
    ).toBe('ExecutionDoesNotExist');
  });

  it('"InvalidArn: The provided Amazon Resource Name (ARN) is not valid.": not an ARN, or the ARN of another resource type', async () => {
    expect(await errorName(sfn.send(new DescribeExecutionCommand({ executionArn: 'nope' })))).toBe(
      'InvalidArn',
    );
    const wrongType = await rejection(
      sfn.send(new DescribeExecutionCommand({ executionArn: stateMachineArn })),
    );
    expect(wrongType.name).toBe('InvalidArn');
    expect(wrongType.message).toContain('Resource type not valid in this context: stateMachine');
    expect(await errorName(sfn.send(new DescribeMapRunCommand({ mapRunArn: executionArn })))).toBe(
      'InvalidArn',
    );
  });

  it('includedData "Valid Values: ALL_DATA | METADATA_ONLY"', async () => {
    const described = await sfn.send(
      new DescribeExecutionCommand({ executionArn, includedData: 'METADATA_ONLY' }),
    );
    expect(described.executionArn).toBe(executionArn);
    expect(
      await errorName(
        sfn.send(new DescribeExecutionCommand({ executionArn, includedData: 'SOME' as never })),
      ),
    ).toBe('ValidationException');
  });

  it('DescribeStateMachine definition: "If called with includedData = METADATA_ONLY, the returned definition will be {}."', async () => {
    const metadataOnly = await sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn, includedData: 'METADATA_ONLY' }),
    );
    expect(metadataOnly.definition).toBe('{}');
    const all = await sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn, includedData: 'ALL_DATA' }),
    );
    expect(JSON.parse(all.definition as string)).toEqual(runtime.stack.definition.definition);
    expect(
      await errorName(
        sfn.send(new DescribeStateMachineCommand({ stateMachineArn, includedData: 'X' as never })),
      ),
    ).toBe('ValidationException');
  });

  it('StopExecution error "Maximum length of 256." and cause "Maximum length of 32768."', async () => {
    expect(
      await errorName(sfn.send(new StopExecutionCommand({ executionArn, error: 'e'.repeat(257) }))),
    ).toBe('ValidationException');
    expect(
      await errorName(
        sfn.send(new StopExecutionCommand({ executionArn, cause: 'c'.repeat(32_769) })),
      ),
    ).toBe('ValidationException');
    // Within the limits: a finished execution is left as it is.
    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'e'.repeat(256), cause: 'c'.repeat(32_768) }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
  });

  it('GetExecutionHistory maxResults "Valid Range: Minimum value of 0. Maximum value of 1000." and nextToken "Length Constraints: Minimum length of 1. Maximum length of 1024."', async () => {
    const all = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    expect(all.events?.length).toBeGreaterThan(2);
    expect(
      await errorName(sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1001 }))),
    ).toBe('ValidationException');
    expect(
      await errorName(
        sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: 't'.repeat(1025) })),
      ),
    ).toBe('ValidationException');
    expect(
      await errorName(
        sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: 't'.repeat(1024) })),
      ),
    ).toBe('InvalidToken');
  });

  it('ListMapRuns / ListStateMachines nextToken "Maximum length of 1024." and maxResults "Maximum value of 1000."', async () => {
    expect(
      await errorName(
        sfn.send(new ListMapRunsCommand({ executionArn, nextToken: 't'.repeat(1025) })),
      ),
    ).toBe('ValidationException');
    expect(
      await errorName(sfn.send(new ListMapRunsCommand({ executionArn, maxResults: 1001 }))),
    ).toBe('ValidationException');
    expect(
      await errorName(sfn.send(new ListStateMachinesCommand({ nextToken: 't'.repeat(1025) }))),
    ).toBe('ValidationException');
    expect(await errorName(sfn.send(new ListStateMachinesCommand({ nextToken: 't' })))).toBe(
      'InvalidToken',
    );
  });

  it('DescribeMapRun mapRunArn "Length Constraints: Minimum length of 1. Maximum length of 2000."', async () => {
    const mapRunArn = stateMachineArn.replace(':stateMachine:', ':mapRun:').concat('/Map:');
    expect(
      await errorName(
        sfn.send(
          new DescribeMapRunCommand({
            mapRunArn: mapRunArn.concat('x'.repeat(2001 - mapRunArn.length)),
          }),
        ),
      ),
    ).toBe('ValidationException');
    expect(
      await errorName(
        sfn.send(
          new DescribeMapRunCommand({
            mapRunArn: mapRunArn.concat('x'.repeat(2000 - mapRunArn.length)),
          }),
        ),
      ),
    ).toBe('ResourceNotFound');
  });
});
