#!/usr/bin/env node
// `npm start`: seed demo transactions, run the synthesized workflow on the embedded local runtime,
// show progress and a summary. `npm start -- --help` lists the flags.
import { endQuietlyWhenOutputCloses } from '../cli/io';
import { parseLocalRunArgs } from '../local/cli/options';
import { runLocal } from '../local/cli/run';

endQuietlyWhenOutputCloses();
const parsed = parseLocalRunArgs(process.argv.slice(2));
if (parsed.kind === 'exit') {
  process.exitCode = parsed.code;
} else {
  runLocal(parsed.options).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      process.stderr.write(`txconfirm-local: ${e.name}: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
