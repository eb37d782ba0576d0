#!/usr/bin/env node
// `txc`, the operator CLI of txconfirm: `npm run txc -- --help` (or `npx tsx bin/txc.ts --help`).
// The commands live in ops/; see ops/README.md.
import { localServeCommand } from '../local/serve';
import { buildTxcProgram, runTxc } from '../ops/program';

// Node 20 is supported until 2027: the SDK's reminder is noise on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = buildTxcProgram();
// `txc local serve`: the embedded runtime behind a Step Functions-compatible endpoint.
program.addCommand(localServeCommand());

runTxc(process.argv.slice(2), {}, program).then((code) => {
  process.exitCode = code;
});
