// `txc … | head` and `npm start … | head`: the reader goes away before the command has written
// everything. The command must end quietly (no unhandled EPIPE, no stack trace), with its code.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** `command | true` in bash with pipefail: `true` exits at once, so every write meets a closed pipe. */
function intoClosedPipe(command: string) {
  const run = spawnSync('bash', ['-o', 'pipefail', '-c', `${command} | true`], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TXC_ENDPOINT: '' },
  });
  return { code: run.status, stderr: run.stderr };
}

describe('output into a closed pipe', () => {
  it.each([
    ['txc --help', `"${process.execPath}" bin/txc.js --help`],
    ['txc local provider --help', `"${process.execPath}" bin/txc.js local provider --help`],
    [
      'npm start -- --help',
      `"${process.execPath}" node_modules/tsx/dist/cli.mjs bin/txconfirm-local.ts --help`,
    ],
  ])('%s: exit 0, nothing on stderr', (_, command) => {
    const run = intoClosedPipe(command);
    expect(run.stderr).not.toMatch(/EPIPE|Unhandled|at .*\.ts:\d+/);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});
