/**
 * `npm run docs`: rewrites the generated settings reference of docs/configuration.md from the
 * settings schema. `--check` rewrites nothing and exits 1 when the page is stale (the docs test
 * does the same check in npm test).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';
import { withSettingsReference } from './settings-table';

export const CONFIGURATION_DOC = path.resolve(__dirname, '..', '..', 'docs', 'configuration.md');

/** The page as `npm run docs` would write it (formatted like every markdown file of the repo). */
export async function renderedConfigurationDoc(current: string): Promise<string> {
  const options = (await prettier.resolveConfig(CONFIGURATION_DOC)) ?? {};
  return prettier.format(withSettingsReference(current), {
    ...options,
    filepath: CONFIGURATION_DOC,
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  const check = argv.includes('--check');
  const unknown = argv.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`usage: npm run docs [-- --check]; unknown argument ${unknown[0]}\n`);
    return 2;
  }
  const current = fs.readFileSync(CONFIGURATION_DOC, 'utf8');
  const next = await renderedConfigurationDoc(current);
  if (next === current) {
    process.stdout.write('docs/configuration.md is up to date\n');
    return 0;
  }
  if (check) {
    process.stderr.write('docs/configuration.md is stale: run npm run docs\n');
    return 1;
  }
  fs.writeFileSync(CONFIGURATION_DOC, next);
  process.stdout.write('wrote docs/configuration.md\n');
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
