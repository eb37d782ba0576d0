/**
 * The console's files: the browser bundle (local/console/app/main.ts built by the project's
 * esbuild at the first request, kept in memory), the style sheet (read from disk at each
 * request) and the state-machine graph (rendered once). Nothing is fetched from the internet.
 *
 * esbuild and @viz-js/viz are devDependencies: `txc local serve` runs from a dev checkout, where
 * they are installed; they are loaded only when the bundle or the graph is first asked for.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { errorParts } from '../../../lambdas/domain/errors';
import type { LocalStack } from '../../stack/stack-template';
import { stateMachineGraphSvg } from './graph';
import { ConsoleError, notFound } from './wire';

/** local/console/app/: the browser app's sources. */
const APP_DIR = path.resolve(__dirname, '..', 'app');
const APP_ENTRY = path.join(APP_DIR, 'main.ts');
const STYLE_FILE = path.join(APP_DIR, 'console.css');

/** How esbuild bundles the app (ES modules for the browsers Playwright and operators use). */
const APP_BUILD_OPTIONS = {
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  minify: false,
} as const;

const errorMessage = (error: unknown) => errorParts(error).message;

/** A promise kept once it succeeds; a failure is thrown to its caller and tried again next time. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let kept: Promise<T> | undefined;
  return () => {
    kept ??= make().catch((error: unknown) => {
      kept = undefined;
      throw error;
    });
    return kept;
  };
}

export class ConsoleAssets {
  readonly appBundle: () => Promise<string>;
  readonly graphSvg: () => Promise<string>;

  constructor(stack: LocalStack) {
    this.appBundle = once(() => this.build());
    this.graphSvg = once(async () => {
      try {
        return await stateMachineGraphSvg(stack);
      } catch (error) {
        throw new ConsoleError(
          500,
          'GraphRenderFailed',
          `the state-machine graph could not be rendered: ${errorMessage(error)}`,
        );
      }
    });
  }

  /** console.css as the app's author last wrote it. */
  async style(): Promise<string> {
    try {
      return await fs.readFile(STYLE_FILE, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw notFound(`the console's style sheet ${STYLE_FILE} does not exist`);
      }
      throw error;
    }
  }

  private async build(): Promise<string> {
    let esbuild: typeof import('esbuild');
    try {
      esbuild = await import('esbuild');
    } catch (error) {
      throw new ConsoleError(
        500,
        'ConsoleBuildFailed',
        `esbuild (a devDependency) is not installed: run the console from a dev checkout after npm ci (${errorMessage(error)})`,
      );
    }
    try {
      const result = await esbuild.build({
        ...APP_BUILD_OPTIONS,
        entryPoints: [APP_ENTRY],
        // Errors are answered to the browser, not printed on the server's terminal.
        logLevel: 'silent',
      });
      const [output] = result.outputFiles;
      return output.text;
    } catch (error) {
      throw new ConsoleError(
        500,
        'ConsoleBuildFailed',
        `the console app (${APP_ENTRY}) did not build: ${errorMessage(error)}`,
      );
    }
  }
}
