/**
 * The CloudWatch metric math the stack's alarms use, evaluated on one value per metric (the
 * alarm's last period): numbers, metric ids, `+ - * /`, comparisons (`> >= < <= == !=`, 1 or 0),
 * parentheses, `IF(condition, a, b)` and `FILL(m, value)`. A metric without a data point in the
 * period is null, and so is what is computed from it (CloudWatch has no data point there either),
 * unless FILL gives it a value; a division by 0 is null too. Anything else (other functions,
 * AND/OR, time series functions) is an UnsupportedMetricMath naming it: `txc local metrics` then
 * says the alarm is not evaluated, rather than guess.
 */

export class UnsupportedMetricMath extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedMetricMath';
  }
}

type Token = { kind: 'number'; value: number } | { kind: 'name' | 'op'; text: string };

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/(),<>]))/y;

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    if (/^\s*$/.test(expression.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(expression);
    if (match === null) {
      throw new UnsupportedMetricMath(
        `metric math "${expression}": cannot read "${expression.slice(at).trim()}"`,
      );
    }
    if (match[1] !== undefined) tokens.push({ kind: 'number', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'name', text: match[2] });
    else tokens.push({ kind: 'op', text: match[3] });
  }
  return tokens;
}

type Value = number | null;

const COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

/**
 * The value of `expression` with `values` for its metric ids (null: no data point). Throws
 * UnsupportedMetricMath for what it does not read, and for an id it is not given.
 */
export function evaluateMetricMath(
  expression: string,
  values: Readonly<Record<string, Value>>,
): Value {
  const tokens = tokenize(expression);
  let i = 0;
  const unsupported = (what: string) =>
    new UnsupportedMetricMath(`metric math "${expression}": ${what}`);
  const peek = (): Token | undefined => tokens[i];
  const isOp = (text: string) => {
    const t = peek();
    return t?.kind === 'op' && t.text === text;
  };
  const expect = (text: string) => {
    if (!isOp(text)) throw unsupported(`expected "${text}"`);
    i += 1;
  };
  const arith = (a: Value, b: Value, f: (x: number, y: number) => number): Value =>
    a === null || b === null ? null : f(a, b);

  const comparison = (): Value => {
    const left = sum();
    const t = peek();
    if (t?.kind === 'op' && t.text in COMPARISONS) {
      i += 1;
      const right = sum();
      return arith(left, right, (a, b) => (COMPARISONS[t.text](a, b) ? 1 : 0));
    }
    return left;
  };
  const sum = (): Value => {
    let value = product();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[i++] as { text: string }).text;
      const right = product();
      value = arith(value, right, op === '+' ? (a, b) => a + b : (a, b) => a - b);
    }
    return value;
  };
  const product = (): Value => {
    let value = unary();
    while (isOp('*') || isOp('/')) {
      const op = (tokens[i++] as { text: string }).text;
      const right = unary();
      value =
        op === '*'
          ? arith(value, right, (a, b) => a * b)
          : right === 0
            ? null
            : arith(value, right, (a, b) => a / b);
    }
    return value;
  };
  const unary = (): Value => {
    if (isOp('-')) {
      i += 1;
      const value = unary();
      return value === null ? null : -value;
    }
    return primary();
  };
  const primary = (): Value => {
    const t = peek();
    if (t === undefined) throw unsupported('ends too early');
    i += 1;
    if (t.kind === 'number') return t.value;
    if (t.kind === 'op') {
      if (t.text !== '(') throw unsupported(`unexpected "${t.text}"`);
      const value = comparison();
      expect(')');
      return value;
    }
    if (isOp('(')) {
      i += 1;
      const args = [comparison()];
      while (isOp(',')) {
        i += 1;
        args.push(comparison());
      }
      expect(')');
      const name = t.text.toUpperCase();
      if (name === 'IF' && (args.length === 2 || args.length === 3)) {
        const [condition, then, otherwise = null] = args;
        if (condition === null) return null;
        return condition !== 0 ? then : otherwise;
      }
      if (name === 'FILL' && args.length === 2) return args[0] ?? args[1];
      throw unsupported(`${t.text}() with ${args.length} arguments is not evaluated offline`);
    }
    if (!(t.text in values)) throw unsupported(`no metric "${t.text}"`);
    return values[t.text];
  };

  const value = comparison();
  if (i < tokens.length) throw unsupported('unexpected text after the expression');
  return value;
}
