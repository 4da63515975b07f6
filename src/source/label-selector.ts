/**
 * Kubernetes label selectors (`team=a,env in (prod,staging),!legacy`), as kubectl, the API
 * server and ingress-nginx's `--watch-namespace-selector` read them: the grammar, validation
 * and matching of k8s.io/apimachinery/pkg/labels/selector.go (Parse, NewRequirement, Matches).
 * Written here because neither @kubernetes/client-node nor a maintained npm package parses
 * selectors (the client only passes them to the API server as a string).
 *
 *   selector    ::= requirement ("," requirement)*
 *   requirement ::= "!" KEY | KEY [ ("=" | "==" | "!=") VALUE? | ("in" | "notin") "(" VALUES ")" | (">" | "<") INTEGER ]
 *
 * A KEY is a qualified name (an optional DNS subdomain and "/", then up to 63 characters of
 * `[A-Za-z0-9_.-]` beginning and ending alphanumeric); a VALUE is empty or such a name part.
 * Requirements are ANDed; `!=` and `notin` also match an object without the label.
 */

type Operator = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | '>' | '<';

interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: readonly string[];
}

/** A parsed selector: `text` is what was given (for logs), `requirements` what must all hold. */
export interface LabelSelector {
  readonly text: string;
  readonly requirements: readonly Requirement[];
}

/** Thrown by parseLabelSelector; the message says what was found and what was expected. */
export class LabelSelectorError extends Error {}

/** Parses a selector; throws LabelSelectorError on anything apimachinery's Parse refuses. */
export function parseLabelSelector(text: string): LabelSelector {
  const tokens = new Tokens(tokenize(text));
  const requirements: Requirement[] = [];
  while (!tokens.atEnd()) {
    if (requirements.length > 0) {
      tokens.expect(',', "',' or the end");
      if (tokens.atEnd() || (isPunctuation(tokens.peek()) && tokens.peek() !== '!')) throw new LabelSelectorError(`found ${tokens.shown()}, expected a label key after ','`);
    }
    requirements.push(requirement(tokens));
  }
  return { text, requirements };
}

/** Whether `labels` satisfy every requirement (an empty selector matches everything). */
export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  return selector.requirements.every(({ key, operator, values }) => {
    const value = labels !== undefined && Object.hasOwn(labels, key) ? labels[key] : undefined;
    switch (operator) {
      case 'exists': return value !== undefined;
      case '!': return value === undefined;
      case '=': case 'in': return value !== undefined && values.includes(value);
      case '!=': case 'notin': return value === undefined || !values.includes(value);
      case '>': case '<': {
        // As Go's strconv.ParseInt: a label value that is no int64 matches neither.
        const have = value === undefined ? undefined : int64(value);
        if (have === undefined) return false;
        return operator === '>' ? have > BigInt(values[0]!) : have < BigInt(values[0]!);
      }
    }
  });
}

/** One requirement: `!key`, `key`, or `key OP value(s)`. */
function requirement(tokens: Tokens): Requirement {
  const negated = tokens.peek() === '!';
  if (negated) tokens.next();
  const key = tokens.next();
  if (key === END || isPunctuation(key)) throw new LabelSelectorError(`found ${shown(key)}, expected a label key`);
  checkKey(key);
  if (negated || tokens.atEnd() || tokens.peek() === ',') return { key, operator: negated ? '!' : 'exists', values: [] };
  const op = tokens.next();
  let req: Requirement;
  if (op === 'in' || op === 'notin') req = { key, operator: op, values: valueSet(tokens) };
  else if (op === '=' || op === '==' || op === '!=') req = { key, operator: op === '==' ? '=' : op, values: [exactValue(tokens)] };
  else if (op === '>' || op === '<') req = { key, operator: op, values: [integer(exactValue(tokens))] };
  else throw new LabelSelectorError(`found ${shown(op)}, expected one of =, ==, !=, in, notin, >, <`);
  for (const value of req.values) checkValue(key, value);
  return req;
}

const END = '';
const PUNCTUATION = new Set(['!', '!=', '(', ')', ',', '=', '==', '>', '<']);
/** `in` and `notin` are operators only where an operator stands: a label may be called `in`. */
const isPunctuation = (token: string) => PUNCTUATION.has(token);
const shown = (token: string) => (token === END ? 'the end' : `'${token}'`);

class Tokens {
  readonly #tokens: readonly string[];
  #at = 0;
  constructor(tokens: readonly string[]) {
    this.#tokens = tokens;
  }
  peek(): string {
    return this.#tokens[this.#at] ?? END;
  }
  next(): string {
    return this.#tokens[this.#at++] ?? END;
  }
  atEnd(): boolean {
    return this.peek() === END;
  }
  shown(): string {
    return shown(this.peek());
  }
  expect(token: string, what: string): void {
    const got = this.next();
    if (got !== token) throw new LabelSelectorError(`found ${shown(got)}, expected ${what}`);
  }
}

const SYMBOL_CHARS = '!=()<>,';
/** apimachinery's isWhitespace. */
const WHITESPACE = /[ \t\r\n]/;

/**
 * Whitespace separates; `!`, `=`, `(`, `)`, `,`, `>`, `<` end an identifier and are tokens of
 * their own (`!=` and `==` one token each).
 */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (let i = 0; i < text.length;) {
    const ch = text[i]!;
    if (WHITESPACE.test(ch)) {
      i++;
    } else if (SYMBOL_CHARS.includes(ch)) {
      const two = text.slice(i, i + 2);
      const symbol = two === '!=' || two === '==' ? two : ch;
      tokens.push(symbol);
      i += symbol.length;
    } else {
      let j = i;
      while (j < text.length && !WHITESPACE.test(text[j]!) && !SYMBOL_CHARS.includes(text[j]!)) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

/** After `=`, `==`, `!=`, `>`, `<`: one value, or none before `,` / the end (the empty value). */
function exactValue(tokens: Tokens): string {
  if (tokens.atEnd() || tokens.peek() === ',') return '';
  const value = tokens.next();
  if (isPunctuation(value)) throw new LabelSelectorError(`found ${shown(value)}, expected a value`);
  return value;
}

/** `( a, b )` after `in` / `notin`; an empty entry is the empty value, as in apimachinery. */
function valueSet(tokens: Tokens): string[] {
  tokens.expect('(', "'('");
  const values = new Set<string>();
  let expectValue = true;
  for (;;) {
    const token = tokens.next();
    if (token === ')') {
      if (expectValue) values.add('');
      return [...values];
    }
    if (token === ',') {
      if (expectValue) values.add('');
      expectValue = true;
    } else if (expectValue && token !== END && !isPunctuation(token)) {
      values.add(token);
      expectValue = false;
    } else {
      throw new LabelSelectorError(`found ${shown(token)}, expected ${expectValue ? "a value, ',' or ')'" : "',' or ')'"}`);
    }
  }
}

const INT64_MAX = 2n ** 63n - 1n;

/** A label value as Go's strconv.ParseInt(v, 10, 64) reads it; undefined when it does not. */
function int64(value: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(value)) return undefined;
  const n = BigInt(value);
  return n > INT64_MAX || n < -INT64_MAX - 1n ? undefined : n;
}

function integer(value: string): string {
  if (!/^\d+$/.test(value) || int64(value) === undefined) throw new LabelSelectorError(`${shown(value)} is not an integer (> and < compare whole numbers)`);
  return value;
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** apimachinery IsQualifiedName: `[prefix/]name`. */
function checkKey(key: string): void {
  const parts = key.split('/');
  const name = parts.at(-1)!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  const ok = parts.length <= 2 && name.length <= 63 && NAME.test(name)
    && (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
  if (!ok) throw new LabelSelectorError(`'${key}' is not a valid label key (an optional DNS subdomain and '/', then at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit)`);
}

/** apimachinery IsValidLabelValue: empty, or a name part of at most 63 characters. */
function checkValue(key: string, value: string): void {
  if (value !== '' && (value.length > 63 || !NAME.test(value))) {
    throw new LabelSelectorError(`'${value}' is not a valid value for label ${key} (at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit)`);
  }
}
