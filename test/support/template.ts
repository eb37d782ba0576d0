import * as fs from 'node:fs';
import {
  type LocalStack,
  localStack,
  synthesizeStackTemplate,
} from '../../local/stack/stack-template';
import type { CfnTemplate } from '../../local/stack/synthesized-definition';

/** Set by global-setup.ts: the path of the dev stage's synthesized template. */
export const TEMPLATE_ENV = 'TXCONFIRM_TEST_TEMPLATE';

let cached: LocalStack | undefined;

/** The synthesized dev stack (read from the file global-setup wrote; synthesized if run without it). */
export function testStack(): LocalStack {
  if (!cached) {
    const file = process.env[TEMPLATE_ENV];
    const template =
      file && fs.existsSync(file)
        ? (JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate)
        : synthesizeStackTemplate({ stage: 'dev' });
    cached = localStack(template);
  }
  return cached;
}
