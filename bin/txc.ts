#!/usr/bin/env node
// `txc`, the operator CLI of txconfirm: `npm run txc -- --help` (or `npx tsx bin/txc.ts --help`).
// The commands live in ops/; see docs/txc.md.
import { endQuietlyWhenOutputCloses } from '../cli/io';
import { localCommand } from '../local/cli/local-command';
import { buildTxcProgram, runTxc } from '../ops/program';

// Node 20 is supported until 2027: the SDK's reminder is noise on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

endQuietlyWhenOutputCloses();
const program = buildTxcProgram();
// `txc local serve`: the embedded runtime behind a Step Functions-compatible endpoint;
// `txc local provider …`: the simulated provider's fault modes of a running one;
// `txc local metrics`: the metrics its handlers emitted, with the alarms on them.
program.addCommand(localCommand());

runTxc(process.argv.slice(2), {}, program).then((code) => {
  process.exitCode = code;
});
