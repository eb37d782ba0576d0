// `txc local serve` serves the operator console by default (its URL in the banner and as
// `consoleUrl` in --json) and not with --no-console: child processes, as a user runs them.
// The console's API itself: test/local/console-api.test.ts.
import { serve, serveHuman } from './local-serve';

jest.setTimeout(120_000);

describe('txc local serve and its console', () => {
  it('--json prints consoleUrl, and the console answers there (shell, session, bundle, graph)', async () => {
    const served = await serve(['--no-schedule']);
    try {
      const { consoleUrl, stepFunctionsEndpoint } = served.info;
      expect(consoleUrl).toBe(`${stepFunctionsEndpoint}/console`);
      const shell = await fetch(consoleUrl!);
      expect(shell.status).toBe(200);
      expect(shell.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const session = await fetch(`${consoleUrl}/api/session`);
      expect(((await session.json()) as { stateMachineArn: string }).stateMachineArn).toBe(
        served.info.stateMachineArn,
      );
      // The bundle and the graph load their builders (esbuild, Graphviz) under `txc`'s tsx too.
      for (const [file, type] of [
        ['app.js', 'text/javascript; charset=utf-8'],
        ['graph.svg', 'image/svg+xml; charset=utf-8'],
      ]) {
        const answer = await fetch(`${consoleUrl}/${file}`);
        expect({ file, status: answer.status, type: answer.headers.get('content-type') }).toEqual({
          file,
          status: 200,
          type,
        });
      }
    } finally {
      await served.stop();
    }
  });

  it('--no-console: consoleUrl is null and /console is a 404', async () => {
    const served = await serve(['--no-schedule', '--no-console']);
    try {
      expect(served.info.consoleUrl).toBeNull();
      const answer = await fetch(`${served.info.stepFunctionsEndpoint}/console`);
      expect(answer.status).toBe(404);
    } finally {
      await served.stop();
    }
  });

  it('the banner prints the console URL', async () => {
    const human = await serveHuman(['--no-schedule']);
    try {
      expect(human.banner).toContain(`  console:                 ${human.endpoint}/console\n`);
    } finally {
      await human.stop();
    }
  });
});
