// Updating a row from a partial input: which fields were given, which of them differ from the row,
// and the SET of their columns. `columns` maps the input's field names to the table's columns.

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
