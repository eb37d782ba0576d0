/**
 * The syntax of an intrinsic function call (the value of a `.$` field that starts with
 * `States.`), parsed once when the definition is loaded. Evaluation is in intrinsics.ts.
 *
 * Grammar (AWS developer guide, "Intrinsic functions for JSONPath states"):
 *   call      = "States." name "(" [ argument { "," argument } ] ")"
 *   argument  = call | string | number | "true" | "false" | "null" | path
 *   string    = "'" { character | "\'" | "\{" | "\}" | "\\" } "'"
 *   number    = JSON number (ints, decimals, negatives, exponents)
 *   path      = "$…" (input), "$$…" (context object) or "$name…" (variable), as json-path.ts reads
 * Whitespace may surround an argument. Inside a string literal only the four escapes the guide
 * lists ("Reserved characters in intrinsic functions") exist; any other backslash is "an open
 * escape backslash", which the guide says the interpreter rejects, so it is a syntax error here.
 */
import { parsePath } from './json-path';

/** A string literal: its value, and the text between its unescaped `{}` pairs (States.Format). */
export interface StringLiteral {
  readonly kind: 'literal';
  readonly value: string;
  /** The value split at each unescaped `{}`; `\{}` is text, not a placeholder. */
  readonly templateParts: readonly string[];
}

export type IntrinsicNode =
  | {
      readonly kind: 'call';
      readonly name: string;
      readonly args: readonly IntrinsicNode[];
    }
  | StringLiteral
  | { readonly kind: 'literal'; readonly value: number | boolean | null }
  | { readonly kind: 'path'; readonly path: string };

export type IntrinsicCall = Extract<IntrinsicNode, { kind: 'call' }>;

/** The text is not an intrinsic call Step Functions can parse. */
export class IntrinsicSyntaxError extends Error {
  override readonly name = 'IntrinsicSyntaxError';
}

const NAME = /States\.[A-Za-z0-9]+/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const KEYWORD = /(?:true|false|null)(?![A-Za-z0-9_$.])/y;
const ESCAPES: Readonly<Record<string, string>> = { "'": "'", '{': '{', '}': '}', '\\': '\\' };

/** Parses `text`, which must be exactly one call; throws IntrinsicSyntaxError. */
export function parseIntrinsic(text: string): IntrinsicCall {
  const parser = new Parser(text);
  const call = parser.call();
  parser.skipSpace();
  if (parser.pos !== text.length) parser.fail('unexpected text after the closing parenthesis');
  return call;
}

class Parser {
  pos = 0;

  constructor(private readonly text: string) {}

  fail(message: string): never {
    throw new IntrinsicSyntaxError(`${message} at position ${this.pos}`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos += 1;
  }

  private sticky(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.pos;
    const match = pattern.exec(this.text);
    if (!match) return undefined;
    this.pos += match[0].length;
    return match[0];
  }

  call(): IntrinsicCall {
    const name = this.sticky(NAME);
    if (name === undefined) this.fail('expected a function name States.<Name>');
    if (this.text[this.pos] !== '(') this.fail(`expected "(" after ${name}`);
    this.pos += 1;
    const args: IntrinsicNode[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ')') {
      this.pos += 1;
      return { kind: 'call', name, args };
    }
    for (;;) {
      this.skipSpace();
      args.push(this.argument());
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos += 1;
      if (next === ')') return { kind: 'call', name, args };
      if (next !== ',') {
        this.pos -= 1;
        this.fail(`expected "," or ")" in the arguments of ${name}`);
      }
    }
  }

  private argument(): IntrinsicNode {
    const char = this.text[this.pos];
    if (char === "'") return this.string();
    if (char === '$') return this.path();
    if (this.text.startsWith('States.', this.pos)) return this.call();
    const number = this.sticky(NUMBER);
    if (number !== undefined) return { kind: 'literal', value: Number(number) };
    const keyword = this.sticky(KEYWORD);
    if (keyword !== undefined) {
      return { kind: 'literal', value: keyword === 'null' ? null : keyword === 'true' };
    }
    return this.fail(
      char === undefined
        ? 'unexpected end of the text'
        : `unexpected character ${JSON.stringify(char)}`,
    );
  }

  private string(): StringLiteral {
    this.pos += 1; // the opening quote
    const parts: string[] = [];
    let current = '';
    let value = '';
    for (;;) {
      const char = this.text[this.pos];
      if (char === undefined) this.fail('unterminated string literal');
      this.pos += 1;
      if (char === "'") break;
      if (char === '\\') {
        const escaped = ESCAPES[this.text[this.pos]];
        if (escaped === undefined) {
          this.pos -= 1;
          this.fail("open escape backslash (only \\', \\{, \\} and \\\\ are escapes)");
        }
        this.pos += 1;
        current += escaped;
        value += escaped;
      } else if (char === '{' && this.text[this.pos] === '}') {
        this.pos += 1;
        parts.push(current);
        current = '';
        value += '{}';
      } else {
        current += char;
        value += char;
      }
    }
    parts.push(current);
    return { kind: 'literal', value, templateParts: parts };
  }

  /** A path runs to the next "," or ")" outside brackets, parentheses and quotes. */
  private path(): IntrinsicNode {
    const start = this.pos;
    const open: string[] = [];
    let quote: string | undefined;
    let balanced = true;
    for (; this.pos < this.text.length; this.pos += 1) {
      const char = this.text[this.pos];
      if (quote !== undefined) {
        if (char === '\\') this.pos += 1;
        else if (char === quote) quote = undefined;
      } else if (char === "'" || char === '"') quote = char;
      else if (char === '[') open.push(']');
      else if (char === '(' && open.length > 0) open.push(')');
      else if ((char === ',' || char === ')') && open.length === 0) break;
      else if (char === ']' || char === ')') balanced &&= open.pop() === char;
    }
    const path = this.text.slice(start, this.pos).trimEnd();
    if (quote !== undefined || open.length > 0 || !balanced || parsePath(path) === null) {
      this.pos = start;
      this.fail(`${JSON.stringify(path)} is not a valid path`);
    }
    return { kind: 'path', path };
  }
}

/** How many calls the expression holds (the guide: "You can nest up to 10 intrinsic functions"). */
export function countCalls(node: IntrinsicNode): number {
  return node.kind === 'call' ? 1 + node.args.reduce((sum, arg) => sum + countCalls(arg), 0) : 0;
}
