// "Nothing an execution does may ever crash the runtime": hostile definitions, handlers and
// inputs (test/fixtures/hostile-executions.ts) run in a plain Node process, where an unhandled
// rejection or exception would end the process with Node's own error. It must finish every
// execution, and every redrive of the ones that did not succeed, and exit 0.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

it('a plain Node process survives every hostile execution and sees each one end', () => {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test', 'fixtures', 'hostile-executions.ts')],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
  );

  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const outcomes = JSON.parse(child.stdout.trim()) as {
    label: string;
    status: string;
    error?: string;
    redriven?: string;
  }[];
  const byLabel = new Map(outcomes.map((o) => [o.label, o]));
  expect(outcomes).toHaveLength(19);
  for (const outcome of outcomes) {
    expect(['SUCCEEDED', 'FAILED', 'ABORTED', 'INPUT_REFUSED']).toContain(outcome.status);
    // Each execution that ran and did not succeed was redriven, and the redrive ended too.
    if (outcome.status === 'FAILED' || outcome.status === 'ABORTED') {
      expect([outcome.label, outcome.redriven]).toEqual([
        outcome.label,
        expect.stringMatching(/^(SUCCEEDED|FAILED|ABORTED|TIMED_OUT)$/),
      ]);
    }
  }
  // The path that used to crash the process: a task whose timeout comes from a path.
  expect(byLabel.get('timeout from a path, the handler rejecting after it')).toEqual({
    label: 'timeout from a path, the handler rejecting after it',
    status: 'FAILED',
    error: 'States.Timeout',
    redriven: 'FAILED',
  });
  expect(byLabel.get('a handler that never settles, stopped')?.status).toBe('ABORTED');
  expect(byLabel.get('a Wait for a year, stopped')?.status).toBe('ABORTED');
  expect(byLabel.get('JSONata recursion without end')?.error).toBe('States.QueryEvaluationError');
  expect(byLabel.get('a result over 256 KiB')?.error).toBe('States.DataLimitExceeded');
  expect(byLabel.get('an input nested too deep to serialise')).toMatchObject({
    status: 'INPUT_REFUSED',
    error: 'InvalidExecutionInput',
  });
});
