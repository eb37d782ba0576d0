/**
 * `npm run diagrams`: generates the architecture and state-machine diagrams in diagrams/ from the
 * synthesized dev stack (one synth, no bundling): nothing here lists resources or states by hand,
 * everything is read from the CloudFormation template and the resolved ASL.
 *
 *   npm run diagrams              writes diagrams/*.mmd, *.dot, *.svg
 *   npm run diagrams -- --check   regenerates in memory; exit 1 listing the stale files
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { localStack, synthesizeStackTemplate } from '../../local/stack/stack-template';
import { DIAGRAMS_DIR, generateDiagrams, staleDiagramFiles } from './generate';

export async function main(argv: readonly string[]): Promise<number> {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(
      `usage: tsx tools/diagrams/cli.ts [--check] (unknown: ${unknown.join(' ')})\n`,
    );
    return 2;
  }
  const started = Date.now();
  const files = await generateDiagrams(localStack(synthesizeStackTemplate({ stage: 'dev' })));
  if (check) {
    const stale = staleDiagramFiles(files);
    if (stale.length > 0) {
      process.stderr.write(
        `Stale diagrams (run npm run diagrams and commit the result):\n${stale.map((f) => `  diagrams/${f}\n`).join('')}`,
      );
      return 1;
    }
    process.stderr.write(`diagrams/ is up to date (${Date.now() - started} ms)\n`);
    return 0;
  }
  fs.mkdirSync(DIAGRAMS_DIR, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(DIAGRAMS_DIR, name), content);
  }
  process.stderr.write(
    `wrote ${Object.keys(files).length} files to diagrams/ (${Date.now() - started} ms)\n`,
  );
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
