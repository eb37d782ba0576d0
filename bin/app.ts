#!/usr/bin/env node
// The CDK app: `npx cdk synth -c stage=prod` (default stage: dev).
import { buildTxconfirmApp } from '../lib/txconfirm-app';
import { InvalidConfigurationError } from '../lib/validation';

try {
  buildTxconfirmApp();
} catch (error) {
  if (error instanceof InvalidConfigurationError) {
    // A configuration mistake: say what to fix, without a stack trace.
    console.error(`${error.name}:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  throw error;
}
