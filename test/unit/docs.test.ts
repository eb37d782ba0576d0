// The documentation is checked like code: every relative link and anchor resolves, the README stays
// a short entry point that reaches every page in one click, the source cites only the project's own
// docs, and the tables and examples the docs quote from the code equal the code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import MarkdownIt from 'markdown-it';
import { githubAnchors } from '../support/markdown';
import { CLASSIFICATION_TABLE } from '../../lambdas/domain/classification';
import { parseExecutionInput } from '../../lambdas/domain/execution-input';
import { SETTING_NAMES } from '../../lib/config';
import {
  BEGIN as SETTINGS_BEGIN,
  END as SETTINGS_END,
  settingsReference,
} from '../../tools/config-docs/settings-table';

const ROOT = path.join(__dirname, '..', '..');
const DOCS = path.join(ROOT, 'docs');
const SOURCE_DIRS = ['bin', 'cli', 'lib', 'lambdas', 'local', 'ops', 'bench', 'tools', 'test'];
const markdown = new MarkdownIt({ html: true });

interface Page {
  readonly file: string;
  readonly text: string;
  readonly anchors: ReadonlySet<string>;
  readonly links: readonly string[];
}

/** GitHub's heading anchors, as a set. */
function anchorsOf(headings: readonly string[]): Set<string> {
  return new Set(githubAnchors(headings));
}

function readPage(file: string): Page {
  const text = fs.readFileSync(file, 'utf8');
  const tokens = markdown.parse(text, {});
  const headings: string[] = [];
  const links: string[] = [];
  tokens.forEach((token, i) => {
    if (token.type === 'heading_open') headings.push(tokens[i + 1].content);
    for (const child of token.children ?? []) {
      const target = child.attrGet(child.type === 'image' ? 'src' : 'href');
      if (target !== null && (child.type === 'link_open' || child.type === 'image')) {
        links.push(String(target));
      }
    }
  });
  return { file, text, anchors: anchorsOf(headings), links };
}

function markdownFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? markdownFiles(path.join(dir, entry.name))
        : entry.name.endsWith('.md')
          ? [path.join(dir, entry.name)]
          : [],
    );
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? sourceFiles(path.join(dir, entry.name))
        : /\.(ts|js|mjs)$/.test(entry.name)
          ? [path.join(dir, entry.name)]
          : [],
    );
}

const pages = new Map(
  [
    path.join(ROOT, 'README.md'),
    ...markdownFiles(DOCS),
    ...markdownFiles(path.join(ROOT, 'diagrams')),
  ].map((file) => [file, readPage(file)]),
);
const readme = pages.get(path.join(ROOT, 'README.md'))!;
const architecture = pages.get(path.join(DOCS, 'architecture.md'))!;

describe('links between the docs', () => {
  it('every relative link names a file that exists, and every anchor a heading of it', () => {
    const broken: string[] = [];
    for (const page of pages.values()) {
      for (const link of page.links) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:, ...
        const [target, anchor] = link.split('#', 2);
        const file = target === '' ? page.file : path.resolve(path.dirname(page.file), target);
        const where = `${path.relative(ROOT, page.file)}: ${link}`;
        if (!fs.existsSync(file)) {
          broken.push(`${where} (no such file)`);
        } else if (anchor !== undefined) {
          const anchors = pages.get(file)?.anchors ?? readPage(file).anchors;
          if (!anchors.has(anchor)) broken.push(`${where} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('the anchor rule matches GitHub on punctuation, code and repeats', () => {
    expect([...anchorsOf(['4. Confirming one transaction — the invariants'])]).toEqual([
      '4-confirming-one-transaction--the-invariants',
    ]);
    expect([...anchorsOf(['Flags (`npm start`)', 'Flags (`npm start`)'])]).toEqual([
      'flags-npm-start',
      'flags-npm-start-1',
    ]);
  });
});

describe('README', () => {
  it('is a short entry point (at most ~200 lines)', () => {
    expect(readme.text.split('\n').length).toBeLessThanOrEqual(200);
  });

  it('shows the two set-up commands', () => {
    expect(readme.text).toContain('npm ci && npm start');
    expect(readme.text).toContain('npm test');
  });

  it('links every page of docs/ (each task is one click away)', () => {
    const linked = new Set(
      readme.links
        .filter((link) => !/^[a-z]+:/i.test(link))
        .map((link) => path.resolve(ROOT, link.split('#')[0])),
    );
    const unlinked = markdownFiles(DOCS)
      .filter((file) => !linked.has(file))
      .map((file) => path.relative(ROOT, file));
    expect(unlinked).toEqual([]);
  });
});

describe('the source cites the project own docs', () => {
  const files = SOURCE_DIRS.flatMap((dir) => sourceFiles(path.join(ROOT, dir))).filter(
    (file) => file !== __filename,
  );

  it('no source file cites DESIGN.md or README sections, which a clone does not have', () => {
    const citing = files.filter((file) =>
      /DESIGN\.md|STYLE\.md|README\.md §|README "|README:/.test(fs.readFileSync(file, 'utf8')),
    );
    expect(citing.map((file) => path.relative(ROOT, file))).toEqual([]);
  });

  it('every "docs/architecture.md §N" names a section the page has', () => {
    const sections = new Set(
      [...architecture.text.matchAll(/^## (\d+)\. /gm)].map((match) => match[1]),
    );
    const missing: string[] = [];
    for (const file of files) {
      for (const match of fs
        .readFileSync(file, 'utf8')
        .matchAll(/docs\/architecture\.md §(\d+)/g)) {
        if (!sections.has(match[1])) missing.push(`${path.relative(ROOT, file)}: §${match[1]}`);
      }
    }
    expect(sections.size).toBeGreaterThanOrEqual(11);
    expect(missing).toEqual([]);
  });

  it('every docs/<page>.md a source file names exists', () => {
    const missing: string[] = [];
    for (const file of files) {
      for (const match of fs.readFileSync(file, 'utf8').matchAll(/docs\/([\w-]+\.md)(#[\w-]+)?/g)) {
        const page = pages.get(path.join(DOCS, match[1]));
        if (!page) missing.push(`${path.relative(ROOT, file)}: ${match[0]}`);
        else if (match[2] && !page.anchors.has(match[2].slice(1))) {
          missing.push(`${path.relative(ROOT, file)}: ${match[0]} (no such heading)`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

/** The cells of the markdown table whose header row starts with `firstHeader` (prettier pads them). */
function tableRows(text: string, firstHeader: string): string[][] {
  const lines = text.split('\n');
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

describe('what architecture.md quotes from the code', () => {
  it('quotes every row of CLASSIFICATION_TABLE, in order, and nothing else', () => {
    const expected = CLASSIFICATION_TABLE.map((row) => [row.response, row.outcome, row.effect]);
    expect(tableRows(architecture.text, 'provider response')).toEqual(expected);
  });

  it('every copy-paste console input passes the execution input schema', () => {
    const start = architecture.text.indexOf('## 5. Execution input');
    const end = architecture.text.indexOf('\n## ', start + 1);
    const blocks = [...architecture.text.slice(start, end).matchAll(/```json\n([\s\S]*?)```/g)].map(
      (m) => m[1],
    );
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) {
      expect(() => parseExecutionInput(JSON.parse(block))).not.toThrow();
    }
  });
});

describe('docs/configuration.md', () => {
  /** Table padding and blank lines do not count (prettier pads what the generator writes). */
  const normalize = (text: string) =>
    text
      .split('\n')
      .map((line) =>
        line
          .trim()
          .replace(/\s*\|\s*/g, '|')
          .replace(/-{3,}/g, '---'),
      )
      .filter(Boolean)
      .join('\n');

  it('shows the settings reference generated from the schema (run npm run docs when this fails)', () => {
    const page = pages.get(path.join(DOCS, 'configuration.md'))!.text;
    const start = page.indexOf(SETTINGS_BEGIN) + SETTINGS_BEGIN.length;
    const end = page.indexOf(SETTINGS_END);
    expect(start).toBeGreaterThan(SETTINGS_BEGIN.length);
    expect(normalize(page.slice(start, end))).toBe(normalize(settingsReference()));
  });

  it('lists every setting of the schema, nested ones too', () => {
    const reference = settingsReference();
    for (const name of SETTING_NAMES) expect(reference).toContain(`| \`${name}\` |`);
    expect(reference).toContain('| `confirmBatchRetry.maxAttempts` |');
  });
});
