/**
 * EventBridge event patterns, as documented in the EventBridge user guide ("Creating event
 * patterns", "Content filtering"): exact values (strings, numbers, null), `prefix`, `suffix`
 * (both also with `equals-ignore-case`), `anything-but` (a value, a list, or a `prefix`,
 * `suffix`, `equals-ignore-case` or `wildcard` inside it), `numeric` ranges, `exists`,
 * `equals-ignore-case`, `wildcard`, `$or`, nested fields, and event arrays matching when any
 * element does. Pure: no I/O.
 */

/** A pattern the local EventBridge cannot accept, with EventBridge's reason. */
class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

type NumericOperator = '<' | '<=' | '=' | '>' | '>=';

/** One element of a field's list of allowed values. */
type Matcher =
  | { readonly kind: 'exact'; readonly value: string | number | boolean | null }
  | { readonly kind: 'prefix'; readonly value: string; readonly ignoreCase: boolean }
  | { readonly kind: 'suffix'; readonly value: string; readonly ignoreCase: boolean }
  | { readonly kind: 'equals-ignore-case'; readonly value: string }
  | { readonly kind: 'wildcard'; readonly regex: RegExp }
  | { readonly kind: 'numeric'; readonly bounds: readonly [NumericOperator, number][] }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'anything-but'; readonly not: readonly Matcher[] };

/** A parsed pattern: per field, either a nested pattern or the matchers of a leaf; plus `$or`. */
interface EventPattern {
  readonly fields: ReadonlyMap<string, EventPattern | readonly Matcher[]>;
  readonly or: readonly EventPattern[];
}

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const NUMERIC_OPERATORS = new Set<string>(['<', '<=', '=', '>', '>=']);

const invalid = (reason: string): never => {
  throw new InvalidEventPatternError(`Event pattern is not valid. Reason: ${reason}`);
};

const expectString = (value: Json | undefined, what: string): string =>
  typeof value === 'string' ? value : invalid(`${what} must be a string`);

/** `*` matches any run of characters; `\*` is a literal asterisk and `\\` a backslash. */
const wildcardRegex = (pattern: string): RegExp => {
  if (pattern.includes('**')) invalid('Consecutive wildcard characters are not allowed');
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      source += `\\${pattern[i + 1]}`;
      i++;
    } else if (char === '*') source += '.*';
    else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
};

const parseNumeric = (value: Json | undefined): [NumericOperator, number][] => {
  if (!Array.isArray(value) || value.length === 0 || value.length % 2 !== 0) {
    return invalid('numeric must be a list of operator and value pairs');
  }
  const bounds: [NumericOperator, number][] = [];
  for (let i = 0; i < value.length; i += 2) {
    const operator = value[i];
    const operand = value[i + 1];
    if (typeof operator !== 'string' || !NUMERIC_OPERATORS.has(operator)) {
      return invalid(`Unrecognized numeric range operator: ${JSON.stringify(operator)}`);
    }
    if (typeof operand !== 'number') return invalid('Value of numeric range must be numeric');
    bounds.push([operator as NumericOperator, operand]);
  }
  return bounds;
};

/** `prefix` / `suffix`: a string, or `{"equals-ignore-case": "…"}`. */
const parseAffix = (kind: 'prefix' | 'suffix', value: Json | undefined): Matcher => {
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      return invalid(`Unsupported ${kind} modifier: ${keys.join(', ')}`);
    }
    return {
      kind,
      value: expectString(value['equals-ignore-case'], `${kind} equals-ignore-case`),
      ignoreCase: true,
    };
  }
  return { kind, value: expectString(value, kind), ignoreCase: false };
};

const stringOrList = (value: Json | undefined, what: string): string[] =>
  Array.isArray(value) ? value.map((v) => expectString(v, what)) : [expectString(value, what)];

const parseAnythingBut = (value: Json | undefined): Matcher => {
  if (isObject(value)) {
    const keys = Object.keys(value);
    const key = keys[0];
    if (keys.length !== 1) return invalid('anything-but takes one operator');
    switch (key) {
      case 'prefix':
      case 'suffix':
        return { kind: 'anything-but', not: [parseAffix(key, value[key])] };
      case 'equals-ignore-case':
        return {
          kind: 'anything-but',
          not: stringOrList(value[key], 'equals-ignore-case').map((v) => ({
            kind: 'equals-ignore-case' as const,
            value: v,
          })),
        };
      case 'wildcard':
        return {
          kind: 'anything-but',
          not: stringOrList(value[key], 'wildcard').map((v) => ({
            kind: 'wildcard' as const,
            regex: wildcardRegex(v),
          })),
        };
      default:
        return invalid(`Unsupported anything-but operator: ${String(key)}`);
    }
  }
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) return invalid('anything-but list must not be empty');
  return {
    kind: 'anything-but',
    not: values.map((v) => {
      if (typeof v !== 'string' && typeof v !== 'number') {
        return invalid('anything-but values must be strings or numbers');
      }
      return { kind: 'exact' as const, value: v };
    }),
  };
};

const parseMatcher = (element: Json): Matcher => {
  if (!isObject(element)) {
    if (Array.isArray(element)) return invalid('a value list cannot hold a list');
    return { kind: 'exact', value: element };
  }
  const keys = Object.keys(element);
  const key = keys[0];
  if (keys.length !== 1 || key === undefined) {
    return invalid('a matcher object holds exactly one operator');
  }
  const value = element[key];
  switch (key) {
    case 'prefix':
    case 'suffix':
      return parseAffix(key, value);
    case 'equals-ignore-case':
      return { kind: 'equals-ignore-case', value: expectString(value, key) };
    case 'wildcard':
      return { kind: 'wildcard', regex: wildcardRegex(expectString(value, key)) };
    case 'numeric':
      return { kind: 'numeric', bounds: parseNumeric(value) };
    case 'exists':
      return typeof value === 'boolean'
        ? { kind: 'exists', value }
        : invalid('exists match pattern must be either true or false.');
    case 'anything-but':
      return parseAnythingBut(value);
    case 'cidr':
      return invalid('cidr is not supported by the local EventBridge');
    default:
      return invalid(`Unrecognized match type ${key}`);
  }
};

const parsePatternObject = (pattern: Record<string, Json>): EventPattern => {
  const fields = new Map<string, EventPattern | readonly Matcher[]>();
  let or: EventPattern[] = [];
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
        invalid('$or must be a list of at least two patterns');
      }
      or = (value as Record<string, Json>[]).map(parsePatternObject);
    } else if (isObject(value)) {
      fields.set(key, parsePatternObject(value));
    } else if (Array.isArray(value)) {
      if (value.length === 0) invalid(`Empty arrays are not allowed (field ${key})`);
      fields.set(key, value.map(parseMatcher));
    } else {
      invalid(`Match value must be String, number, true, false, or null (field ${key})`);
    }
  }
  return { fields, or };
};

/** Parses an `EventPattern` string as PutRule receives it; refuses what EventBridge refuses. */
const parseEventPattern = (text: string): EventPattern => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalid('Filter is not valid JSON');
  }
  if (!isObject(parsed)) return invalid('Filter is not an object');
  if (Object.keys(parsed).length === 0) return invalid('Empty objects are not allowed');
  return parsePatternObject(parsed);
};

/**
 * The values at `key` under each node, arrays flattened: EventBridge matches a field inside an
 * array of objects, and an array value, by any of its elements.
 */
const valuesAt = (nodes: readonly Json[], key: string): Json[] => {
  const values: Json[] = [];
  const add = (value: Json): void => {
    if (Array.isArray(value)) for (const element of value) add(element);
    else values.push(value);
  };
  for (const node of nodes) {
    if (isObject(node) && Object.hasOwn(node, key)) add(node[key] as Json);
  }
  return values;
};

const compare = (value: number, [operator, bound]: [NumericOperator, number]): boolean => {
  switch (operator) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '=':
      return value === bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
  }
};

const matchesValue = (matcher: Matcher, value: Json): boolean => {
  switch (matcher.kind) {
    case 'exact':
      return value === matcher.value;
    case 'prefix':
      return (
        typeof value === 'string' &&
        (matcher.ignoreCase
          ? value.toLowerCase().startsWith(matcher.value.toLowerCase())
          : value.startsWith(matcher.value))
      );
    case 'suffix':
      return (
        typeof value === 'string' &&
        (matcher.ignoreCase
          ? value.toLowerCase().endsWith(matcher.value.toLowerCase())
          : value.endsWith(matcher.value))
      );
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === matcher.value.toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && matcher.regex.test(value);
    case 'numeric':
      return typeof value === 'number' && matcher.bounds.every((bound) => compare(value, bound));
    case 'exists':
      // Only leaves exist for `exists`; an object is an intermediate node.
      return matcher.value && !isObject(value);
    case 'anything-but':
      return !isObject(value) && !matcher.not.some((not) => matchesValue(not, value));
  }
};

/** A leaf field: `exists: false` matches a missing field; every other matcher needs a value. */
const matchesLeaf = (matchers: readonly Matcher[], values: readonly Json[]): boolean =>
  matchers.some((matcher) =>
    matcher.kind === 'exists' && !matcher.value
      ? values.length === 0
      : values.some((value) => matchesValue(matcher, value)),
  );

const matchesAt = (pattern: EventPattern, nodes: readonly Json[]): boolean => {
  for (const [key, expected] of pattern.fields) {
    const values = valuesAt(nodes, key);
    const ok = Array.isArray(expected)
      ? matchesLeaf(expected as readonly Matcher[], values)
      : matchesAt(expected as EventPattern, values);
    if (!ok) return false;
  }
  return pattern.or.length === 0 || pattern.or.some((branch) => matchesAt(branch, nodes));
};

/** Whether an event (the envelope targets receive: source, detail-type, detail, …) matches. */
const matchesEventPattern = (pattern: EventPattern, event: unknown): boolean =>
  matchesAt(pattern, [event as Json]);

export { type EventPattern, InvalidEventPatternError, matchesEventPattern, parseEventPattern };
