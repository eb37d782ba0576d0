// `npm start`: the embedded local runtime is tracked as its own issue and not built yet.
process.stderr.write(
  'txconfirm: local runtime not built yet. `npm test` and `npx cdk synth` work today; see README.md.\n',
);
process.exitCode = 1;
