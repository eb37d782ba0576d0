// Every alarm points at a runbook entry that exists in the README.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { testStack } from '../support/template';

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const headings = new Set([...readme.matchAll(/^#### (.+)$/gm)].map((m) => m[1].trim()));

describe('runbook', () => {
  const alarms = Object.values(testStack().template.Resources).filter(
    (r) => r.Type === 'AWS::CloudWatch::Alarm',
  );

  it('has alarms to document', () => {
    expect(alarms.length).toBeGreaterThanOrEqual(15);
  });

  it('every alarm description names a runbook entry that the README has', () => {
    const missing: string[] = [];
    for (const alarm of alarms) {
      const description = String(alarm.Properties?.AlarmDescription ?? '');
      const entry = /Runbook: README\.md § Runbook → ([\w<>-]+)\.?$/.exec(description)?.[1];
      expect(entry).toBeDefined();
      const heading = /-(errors|throttles)$/.test(entry!)
        ? 'function errors and throttles (`<function>-errors`, `<function>-throttles`)'
        : entry!;
      if (!headings.has(heading)) missing.push(entry!);
    }
    expect(missing).toEqual([]);
  });
});
