// The README quotes the classification table; this keeps the copy equal to the code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLASSIFICATION_TABLE } from '../../lambdas/domain/classification';
import { parseExecutionInput } from '../../lambdas/domain/execution-input';

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The cells of the markdown table whose header row starts with `firstHeader` (prettier pads them). */
function tableRows(firstHeader: string): string[][] {
  const lines = readme.split('\n');
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split('|')
      .map((cell) => cell.trim());
  const start = lines.findIndex((line) => line.startsWith('|') && cells(line)[0] === firstHeader);
  expect(start).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(cells(line));
  }
  return rows;
}

describe('README', () => {
  it('quotes every row of CLASSIFICATION_TABLE, in order, and nothing else', () => {
    const expected = CLASSIFICATION_TABLE.map((row) => [row.response, row.outcome, row.effect]);
    expect(tableRows('provider response')).toEqual(expected);
  });

  it('shows the two set-up commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});

describe('README execution inputs', () => {
  it('every copy-paste console input passes the execution input schema', () => {
    const start = readme.indexOf('## Execution input');
    const end = readme.indexOf('\n## ', start + 1);
    const blocks = [...readme.slice(start, end).matchAll(/```json\n([\s\S]*?)```/g)].map(
      (m) => m[1],
    );
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) {
      expect(() => parseExecutionInput(JSON.parse(block))).not.toThrow();
    }
  });
});
