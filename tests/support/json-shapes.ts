// The JSON shapes README.md documents under "### JSON output", read as a small type notation, and
// checked against what a command prints. The notation:
//   string, number, boolean, null, unknown (anything), instant (ISO 8601 in UTC), date (YYYY-MM-DD)
//   { key: T, key?: T (may be absent), ...Named (its keys too) }   { [name]: T } (keys are data)
//   T[]   A | B   (T)   Named (a type defined in the block as `Named = T`)
// An entry starts at the beginning of a line (`roshni a b, roshni c → T` or `Named = T`); indented lines
// continue it; `//` starts a comment.

export type Shape =
  | { kind: 'string' | 'number' | 'boolean' | 'null' | 'unknown' | 'instant' | 'date' }
  | { kind: 'array'; of: Shape }
  | { kind: 'object'; fields: Array<{ key: string; shape: Shape; optional: boolean }>; spreads: string[] }
  | { kind: 'record'; of: Shape }
  | { kind: 'union'; options: Shape[] }
  | { kind: 'ref'; name: string };

const PRIMITIVES = new Set(['string', 'number', 'boolean', 'null', 'unknown', 'instant', 'date']);
const TOKEN = /\s*(\.\.\.|\[\]|[{}[\]():?,|]|[A-Za-z_][A-Za-z0-9_]*)/y;
export const CAMEL_CASE = /^[a-z][a-zA-Z0-9]*$/;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) throw new Error(`Cannot read the shape at «${text.slice(at, at + 30)}»`);
    tokens.push(match[1]!);
  }
  return tokens;
}

/** One type in the notation. */
export function parseShape(text: string): Shape {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const token = tokens[i++];
    if (token === undefined || (expected !== undefined && token !== expected))
      throw new Error(`Expected ${expected ?? 'more'} in «${text}», found ${token ?? 'the end'}`);
    return token;
  };
  const type = (): Shape => {
    const options = [postfix()];
    while (peek() === '|') {
      take();
      options.push(postfix());
    }
    return options.length === 1 ? options[0]! : { kind: 'union', options };
  };
  const postfix = (): Shape => {
    let shape = primary();
    while (peek() === '[]') {
      take();
      shape = { kind: 'array', of: shape };
    }
    return shape;
  };
  const primary = (): Shape => {
    const token = take();
    if (token === '(') {
      const inner = type();
      take(')');
      return inner;
    }
    if (token === '{') return object();
    if (PRIMITIVES.has(token)) return { kind: token } as Shape;
    if (/^[A-Z]/.test(token)) return { kind: 'ref', name: token };
    throw new Error(`Unknown type ${token} in «${text}»`);
  };
  const object = (): Shape => {
    const fields: Array<{ key: string; shape: Shape; optional: boolean }> = [];
    const spreads: string[] = [];
    while (peek() !== '}') {
      if (peek() === '...') {
        take();
        spreads.push(take());
      } else if (peek() === '[') {
        take();
        take();
        take(']');
        take(':');
        const of = type();
        take('}');
        return { kind: 'record', of };
      } else {
        const key = take();
        const optional = peek() === '?';
        if (optional) take();
        take(':');
        fields.push({ key, shape: type(), optional });
      }
      if (peek() !== '}') take(',');
    }
    take('}');
    return { kind: 'object', fields, spreads };
  };
  const shape = type();
  if (i !== tokens.length) throw new Error(`Unexpected ${tokens[i]} in «${text}»`);
  return shape;
}

export interface DocumentedShapes {
  types: Map<string, Shape>;
  commands: Map<string, Shape>;
}

/** The entries of the fenced blocks in the README's "### JSON output" section. */
export function documentedShapes(readme: string): DocumentedShapes {
  const section = readme.split(/^### JSON output$/m)[1]?.split(/^#{1,3} /m)[0];
  if (!section) throw new Error('README.md has no "### JSON output" section');
  const blocks = [...section.matchAll(/^```text\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  const entries: string[] = [];
  for (const line of blocks.join('\n').split('\n')) {
    const text = line.replace(/\/\/.*$/, '').trimEnd();
    if (!text.trim()) continue;
    if (/^\s/.test(text) && entries.length) entries[entries.length - 1] += ` ${text.trim()}`;
    else entries.push(text);
  }
  const types = new Map<string, Shape>();
  const commands = new Map<string, Shape>();
  for (const entry of entries) {
    const named = /^([A-Z][A-Za-z0-9]*) = (.*)$/.exec(entry);
    const command = /^(roshni [^→]+)→(.*)$/.exec(entry);
    if (named) types.set(named[1]!, parseShape(named[2]!));
    else if (command) for (const name of command[1]!.split(',')) commands.set(name.trim().replace(/^roshni /, ''), parseShape(command[2]!));
    else throw new Error(`Cannot read the README's JSON shape entry «${entry}»`);
  }
  return { types, commands };
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function fieldsOf(shape: Extract<Shape, { kind: 'object' }>, types: Map<string, Shape>): Map<string, { shape: Shape; optional: boolean }> {
  const fields = new Map<string, { shape: Shape; optional: boolean }>();
  for (const name of shape.spreads) {
    const spread = resolve({ kind: 'ref', name }, types);
    if (spread.kind !== 'object') throw new Error(`...${name} is not an object type`);
    for (const [key, field] of fieldsOf(spread, types)) fields.set(key, field);
  }
  for (const field of shape.fields) fields.set(field.key, field);
  return fields;
}

function resolve(shape: Shape, types: Map<string, Shape>): Shape {
  if (shape.kind !== 'ref') return shape;
  const found = types.get(shape.name);
  if (!found) throw new Error(`The README uses ${shape.name} but does not define it`);
  return resolve(found, types);
}

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/**
 * How `value` differs from `shape`: keys printed but not documented, documented keys not printed, values of
 * another type, each named by its path (`upcomingAppointments[].startsAt`). Empty when they agree.
 */
export function differences(value: unknown, shape: Shape, types: Map<string, Shape>, path = '$'): string[] {
  const s = resolve(shape, types);
  switch (s.kind) {
    case 'unknown':
      return [];
    case 'instant':
      return typeof value === 'string' && INSTANT.test(value) ? [] : [`${path}: ${JSON.stringify(value)} is not an instant (ISO 8601, UTC)`];
    case 'date':
      return typeof value === 'string' && DATE.test(value) ? [] : [`${path}: ${JSON.stringify(value)} is not a date (YYYY-MM-DD)`];
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
      return kindOf(value) === s.kind ? [] : [`${path}: ${kindOf(value)}, documented as ${s.kind}`];
    case 'array':
      if (!Array.isArray(value)) return [`${path}: ${kindOf(value)}, documented as an array`];
      return [...new Set(value.flatMap((item) => differences(item, s.of, types, `${path}[]`)))];
    case 'record':
      if (kindOf(value) !== 'object') return [`${path}: ${kindOf(value)}, documented as an object`];
      return Object.entries(value as object).flatMap(([key, item]) => differences(item, s.of, types, `${path}[${JSON.stringify(key)}]`));
    case 'object': {
      if (kindOf(value) !== 'object') return [`${path}: ${kindOf(value)}, documented as an object`];
      const fields = fieldsOf(s, types);
      const record = value as Record<string, unknown>;
      const out: string[] = [];
      for (const key of Object.keys(record)) if (!fields.has(key)) out.push(`${path}.${key}: printed, not documented`);
      for (const [key, field] of fields) {
        if (!(key in record)) {
          if (!field.optional) out.push(`${path}.${key}: documented, not printed`);
        } else out.push(...differences(record[key], field.shape, types, `${path}.${key}`));
      }
      return out;
    }
    case 'union': {
      const tried = s.options.map((option) => differences(value, option, types, path));
      return tried.some((d) => !d.length) ? [] : tried.reduce((a, b) => (b.length < a.length ? b : a));
    }
    case 'ref':
      throw new Error(`${s.name} is not defined`);
  }
}

/** The keys of `value`, at every depth, that are not camelCase; the keys of a `{ [name]: T }` record are data and not asked. */
export function keysNotCamelCase(value: unknown, shape: Shape, types: Map<string, Shape>, path = '$'): string[] {
  const s = resolve(shape, types);
  if (Array.isArray(value)) return [...new Set(value.flatMap((item) => keysNotCamelCase(item, s.kind === 'array' ? s.of : s, types, `${path}[]`)))];
  if (kindOf(value) !== 'object') return [];
  const record = value as Record<string, unknown>;
  if (s.kind === 'record') return Object.entries(record).flatMap(([key, item]) => keysNotCamelCase(item, s.of, types, `${path}[${JSON.stringify(key)}]`));
  const fields = s.kind === 'object' ? fieldsOf(s, types) : new Map<string, { shape: Shape }>();
  return Object.entries(record).flatMap(([key, item]) => [
    ...(CAMEL_CASE.test(key) ? [] : [`${path}.${key}`]),
    ...keysNotCamelCase(item, fields.get(key)?.shape ?? { kind: 'unknown' }, types, `${path}.${key}`),
  ]);
}
