// What `npm start` prints, as functions: the summary table fitted to the terminal's width, the
// next steps after a run that left work, the restart lines, the start-up status line.
import * as path from 'node:path';
import { formatReport, type RunReport } from '../../local/cli/run';
import { StatusLine } from '../../local/cli/status-line';
import {
  formatNextSteps,
  nextSteps,
  pathForCommand,
  restartLines,
  summaryTable,
} from '../../local/cli/summary';
import type { ExecutionRecord } from '../../local/engine';
import { PROJECT_ROOT } from '../../local/runtime/local-runtime';

const report = (overrides: Partial<RunReport> = {}): RunReport => ({
  status: 'SUCCEEDED',
  runId: '20261201T011912Z-2629f053-a389-4dfb-8d78-c2e7eac7ce4b',
  seeded: 10_000,
  confirmed: 9497,
  rejected: 503,
  failed: 0,
  deferred: 0,
  skipped: 0,
  unavailable: 0,
  durationMs: 21_400,
  txPerSecond: 467.1,
  executions: 1,
  store: { CONFIRMED: 9497, REJECTED: 503, FAILED: 0, PENDING: 0, OTHER: 0 },
  provider: { calls: 10_000 },
  logFile: '/tmp/txconfirm-TJtMFi/handlers.log',
  logsRemovedOnExit: false,
  nextSteps: [],
  ...overrides,
});

const longest = (text: string) => Math.max(...text.split('\n').map((line) => [...line].length));

describe('the npm start summary', () => {
  it('fits 80 columns: no line is longer, every row is there, ids and paths are never cut', () => {
    const text = formatReport(
      report({
        error:
          'ProviderUnavailable: payment provider unavailable (circuit breaker OPEN since 2026-12-01T02:45:58.774Z)',
        logFile:
          '/home/someone/projects/txconfirm/.data/a-rather-long-data-dir-name/logs/handlers.log',
      }),
      { columns: 80, colour: false },
    );
    expect(longest(text)).toBeLessThanOrEqual(80);
    for (const label of [
      'run id',
      'confirmed',
      'deferred',
      'skipped',
      'still',
      'tx/s',
      'store',
      'handler logs',
    ]) {
      expect(text).toContain(label);
    }
    expect(text).toContain('20261201T011912Z-2629f053-a389-4dfb-8d78-c2e7eac7ce4b');
    expect(text).toContain('CONFIRMED 9497, REJECTED 503, FAILED 0, PENDING 0');
    expect(text).not.toContain('…');
    // The wrapped path, read back from its cells, is whole.
    const cells = text
      .split('\n')
      .filter((line) => line.startsWith('│'))
      .map((line) => line.split('│')[2]?.trim() ?? '');
    const start = cells.findIndex((cell) => cell.startsWith('/home/someone'));
    expect(cells.slice(start, start + 3).join('')).toContain(
      'a-rather-long-data-dir-name/logs/handlers.log',
    );
  });

  it('a long error wraps in a value column of at least half the width; labels keep a quarter', () => {
    const error =
      'ProviderUnavailable: payment provider unavailable (circuit breaker OPEN since 2026-12-01T03:59:46.986Z): HTTP 503 ×20 of 20 calls; the next run after 2026-12-01T04:00:16.986Z probes it and, if it answers, confirms the backlog (no requeue needed).';
    const text = formatReport(report({ status: 'FAILED', error, unavailable: 1000 }), {
      columns: 80,
      colour: false,
    });
    expect(longest(text)).toBeLessThanOrEqual(80);
    const errorLines = text.split('\n').filter((line) => line.includes('ProviderUnavailable'));
    const valueCell = errorLines[0].split('│')[2];
    expect(valueCell.length).toBeGreaterThanOrEqual(40);
    // Read back from its cells, the error is whole.
    const values = text
      .split('\n')
      .filter((line) => line.startsWith('│'))
      .map((line) => line.split('│')[2]?.trim() ?? '')
      .join(' ');
    expect(values).toContain(error);
    expect(text).toMatch(/^│ unavailable +│ 1000 +│$/m);
  });

  it('no unavailable row when nothing was left for a provider outage', () => {
    expect(formatReport(report(), { columns: 80, colour: false })).not.toContain('unavailable');
  });

  it.each([40, 60, 100, 132])('fits %d columns too', (columns) => {
    const text = formatReport(report(), { columns, colour: false });
    expect(longest(text)).toBeLessThanOrEqual(columns);
    expect(text).not.toContain('…');
  });

  it('is as narrow as its content when the terminal is wider', () => {
    const text = summaryTable(['a', 'b'], [['x', 1]], { columns: 200, colour: false });
    expect(longest(text)).toBeLessThan(20);
  });

  it('in memory without --keep-logs, says the logs are removed on exit', () => {
    const text = formatReport(report({ logsRemovedOnExit: true }), { columns: 80, colour: false });
    expect(text).toContain('removed on exit (--keep-logs keeps them)');
    expect(text).not.toContain('/tmp/txconfirm-');
  });
});

describe('next steps', () => {
  const txcLocal = (args: readonly string[]) => `npm run txc -- ${args.join(' ')} --local`;
  const left = (
    PENDING: number,
    FAILED: number,
    extra: { status?: string; deferred?: number } = {},
  ) => ({
    status: extra.status ?? 'SUCCEEDED',
    deferred: extra.deferred ?? 0,
    store: { PENDING, FAILED },
  });

  it('nothing left: no step', () => {
    expect(nextSteps(left(0, 0), '/data', txcLocal)).toEqual([]);
  });

  it('PENDING left in a data dir: run again, with the runbook entry for why', () => {
    expect(nextSteps(left(1501, 0, { deferred: 1501 }), '/data/d', txcLocal)).toEqual([
      {
        what: '1,501 still PENDING (the provider deferred them; docs/runbook.md#provider-error-rate); run again',
        commands: ['npm start -- --data-dir /data/d --transactions 0'],
      },
    ]);
    expect(nextSteps(left(3, 0, { status: 'FAILED' }), '/data/d', txcLocal)[0].what).toContain(
      'the run ended FAILED; docs/runbook.md#executions-failed',
    );
    // A run the provider circuit breaker stopped: its own entry, and no requeue.
    const outage = { ...left(2000, 0, { status: 'FAILED' }), runStatus: 'PROVIDER_UNAVAILABLE' };
    expect(nextSteps(outage, '/data/d', txcLocal)).toEqual([
      {
        what: '2,000 still PENDING (the provider was unavailable; attempts unchanged, nothing to requeue; docs/runbook.md#provider-unavailable); run again',
        commands: ['npm start -- --data-dir /data/d --transactions 0'],
      },
    ]);
  });

  it('FAILED in a data dir: serve it, see why, requeue — each command with its target flags', () => {
    const [onPort] = nextSteps(left(0, 1), '/data/d', txcLocal, 'http://127.0.0.1:8099');
    expect(onPort.commands[0]).toBe(
      'npm run txc -- local serve --port 8099 --data-dir /data/d --no-schedule',
    );
    const [step] = nextSteps(left(0, 12), '/data/d', txcLocal);
    expect(step.what).toMatch(/^12 FAILED \(docs\/runbook\.md#transactions-failed\)/);
    expect(step.commands).toEqual([
      'npm run txc -- local serve --data-dir /data/d --no-schedule',
      'npm run txc -- failed --local',
      'npm run txc -- requeue --all-failed --reason provider fixed --local',
    ]);
  });

  it('in memory: the store is gone, so the step is to keep the next one (no command)', () => {
    const [step] = nextSteps(left(5, 2), undefined, txcLocal);
    expect(step.commands).toEqual([]);
    expect(step.what).toMatch(
      /^5 still PENDING and 2 FAILED: this store was in memory .*--data-dir DIR/,
    );
  });

  it('a data dir path is quoted for the shell, and relative when it is inside the project', () => {
    expect(pathForCommand('/tmp/with space')).toBe(`'/tmp/with space'`);
    expect(pathForCommand(path.join(PROJECT_ROOT, '.data', 'd1'))).toBe('.data/d1');
    expect(pathForCommand('/tmp/d')).toBe('/tmp/d');
  });

  it('as text: a label line, then the commands indented, within the width', () => {
    const text = formatNextSteps(nextSteps(left(7, 1), '/tmp/d', txcLocal), 80);
    expect(longest(text)).toBeLessThanOrEqual(80);
    expect(text).toMatch(/^Next: 7 still PENDING/m);
    expect(text).toContain('\n  npm start -- --data-dir /tmp/d --transactions 0\n');
  });
});

describe('restart lines', () => {
  const record = (name: string) => ({ name }) as ExecutionRecord;

  it('a new data dir or memory: nothing', () => {
    expect(restartLines({ reopened: false, aborted: [], repairedIds: [] })).toEqual([]);
  });

  it('reopened, nothing to do: says so', () => {
    expect(restartLines({ reopened: true, aborted: [], repairedIds: [] })).toEqual([
      'restart: nothing to recover (no execution was left RUNNING, the pending index is in step)',
    ]);
  });

  it('names the executions marked ABORTED and the index entries repaired (the first few)', () => {
    const lines = restartLines({
      reopened: true,
      aborted: [record('run-a')],
      repairedIds: ['t1', 't2', 't3', 't4', 't5', 't6', 't7'],
    });
    expect(lines).toEqual([
      'restart: 1 execution a previous process left RUNNING marked ABORTED, lock released: run-a',
      'restart: 7 pending-index entries out of step repaired (docs/local-runtime.md, Restarts and crashes): t1, t2, t3, t4, t5, … (2 more)',
    ]);
  });
});

describe('the start-up status line', () => {
  function stream(isTTY: boolean) {
    const writes: string[] = [];
    return { writes, stream: { isTTY, columns: 40, write: (t: string) => writes.push(t) > 0 } };
  }

  it('not a terminal: one plain line per step, no control characters', () => {
    const { writes, stream: s } = stream(false);
    const status = new StatusLine(s);
    status.phase('synthesizing the stack');
    status.progress('1/2');
    status.phase('seeding 2 demo transactions');
    status.done();
    expect(writes).toEqual(['synthesizing the stack…\n', 'seeding 2 demo transactions…\n']);
  });

  it('a terminal: one line rewritten in place (spinner, elapsed time), cleared when done', () => {
    const { writes, stream: s } = stream(true);
    const status = new StatusLine(s);
    status.phase('synthesizing the stack');
    status.progress('a very long detail that would not fit in forty columns at all');
    status.done('ready');
    const CLEAR = '\r\x1b[2K';
    expect(writes[0].startsWith(CLEAR)).toBe(true);
    expect(writes[0].slice(CLEAR.length)).toMatch(
      /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] synthesizing the stack… \d+\.\d s$/,
    );
    // Never wider than the terminal: a wrapped line could not be rewritten.
    expect(writes[1].replace(CLEAR, '').length).toBeLessThanOrEqual(39);
    expect(writes.slice(-2)).toEqual([CLEAR, 'ready\n']);
  });

  it('disabled: says nothing', () => {
    const { writes, stream: s } = stream(true);
    const status = new StatusLine(s, false);
    status.phase('x');
    status.done('y');
    expect(writes).toEqual([]);
  });
});
