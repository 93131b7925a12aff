// Updating a row from a partial input: which fields were given, which of them differ from the row,
// and the SET of their columns. `columns` maps the input's field names to the table's columns (columnsOf).

/** `progressNotes` → `progress_notes`, as a type, so a derived column name is checked against the table. */
type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

/**
 * The columns of an input's fields, in their order: a field's column is its name in snake_case, unless
 * `renamed` names another. `fields` is any object keyed by the field names, such as a zod shape.
 */
export function columnsOf<F extends string, const R extends { readonly [K in F]?: string } = Record<never, string>>(
  fields: Readonly<Record<F, unknown>>,
  renamed: R = {} as R,
): { readonly [K in F]: K extends keyof R ? R[K] & string : SnakeCase<K> } {
  const columnOf = (field: string) => renamed[field as F] ?? field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  return Object.fromEntries(Object.keys(fields).map((field) => [field, columnOf(field)])) as never;
}

/** The fields given in `input` (undefined: left as they are), in the order of `columns`. */
export function givenFields<F extends string>(columns: Readonly<Record<F, string>>, input: { readonly [K in NoInfer<F>]?: unknown }): F[] {
  return (Object.keys(columns) as F[]).filter((field) => input[field] !== undefined);
}

/** Of the `given` fields, those whose new value differs from the row's. */
export function changedFields<F extends string, C extends string>(
  columns: Readonly<Record<F, C>>,
  given: readonly F[],
  input: { readonly [K in NoInfer<F>]?: unknown },
  row: { readonly [K in NoInfer<C>]: unknown },
): F[] {
  return given.filter((field) => row[columns[field]] !== input[field]);
}

/** The SET of an update: each field's column, with its value in `input`. */
export function columnValues<F extends string, I extends { readonly [K in NoInfer<F>]?: unknown }>(
  columns: Readonly<Record<F, string>>,
  fields: readonly F[],
  input: I,
): { [column: string]: I[F] } {
  return Object.fromEntries(fields.map((field) => [columns[field], input[field]]));
}
