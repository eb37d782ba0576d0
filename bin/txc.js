#!/usr/bin/env node
// The `txc` npm bin: registers tsx (a dependency of this project) and runs the TypeScript CLI.
require('tsx/cjs/api').register();
require('./txc.ts');
