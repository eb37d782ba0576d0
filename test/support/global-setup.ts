// jest globalSetup: synthesize the stack once per `jest` run; every test file reads the same
// template (tables, ASL, function environments) instead of paying ~2 s of synth each.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeStackTemplate } from '../../local/stack/stack-template';
import { TEMPLATE_ENV } from './template';

export default function globalSetup(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txconfirm-jest-'));
  const file = path.join(dir, 'Txconfirm-dev.template.json');
  fs.writeFileSync(file, JSON.stringify(synthesizeStackTemplate({ stage: 'dev' })));
  // Workers start after globalSetup and inherit this environment.
  process.env[TEMPLATE_ENV] = file;
}
