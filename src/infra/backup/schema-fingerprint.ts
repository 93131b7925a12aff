import { sql, type Kysely } from 'kysely';

// What a restore must bring back besides the rows: the constraints, indexes, triggers, row-security
// policies and flags, and sequences of the public schema. Row counts alone let a restore cut short
// after its data pass (foreign keys, constraints and policies come last in a dump).

/** Per part of the schema: how many objects, and an md5 of their sorted definitions. */
export type SchemaFingerprint = Record<string, { count: number; md5: string }>;

function part(name: string, definitions: string): string {
  return `'${name}', (SELECT jsonb_build_object('count', count(*), 'md5', md5(coalesce(string_agg(d, E'\\n' ORDER BY d), ''))) FROM (${definitions}) AS ${name}(d))`;
}

/**
 * One SELECT giving the fingerprint as jsonb. Definitions print names qualified or not by the
 * search_path: it must run with search_path = pg_catalog (see `withCatalogSearchPath`) so that the
 * backup's session, psql's restore session and PGlite all print them alike.
 */
export const SCHEMA_FINGERPRINT_QUERY = `SELECT jsonb_build_object(
  ${part('constraints', `SELECT r.relname || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid WHERE c.connamespace = 'public'::regnamespace`)},
  ${part('indexes', `SELECT tablename || ' ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'`)},
  ${part('triggers', `SELECT r.relname || ' ' || t.tgname || ' ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid WHERE r.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal`)},
  ${part('policies', `SELECT tablename || ' ' || policyname || ' ' || permissive || ' ' || roles::text || ' ' || cmd || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '') FROM pg_policies WHERE schemaname = 'public'`)},
  ${part('rowSecurity', `SELECT relname || ' ' || relrowsecurity || ' ' || relforcerowsecurity FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')`)},
  ${part('sequences', `SELECT sequencename || ' ' || data_type || ' ' || start_value || ' ' || min_value || ' ' || max_value || ' ' || increment_by || ' ' || cycle FROM pg_sequences WHERE schemaname = 'public'`)}
) AS fingerprint`;

/** The schema's fingerprint, in the caller's transaction (its snapshot); the search_path is put back after. */
export async function schemaFingerprint(trx: Kysely<any>): Promise<SchemaFingerprint> {
  const { rows: saved } = await sql<{ path: string }>`SELECT current_setting('search_path') AS path`.execute(trx);
  await sql`SELECT set_config('search_path', 'pg_catalog', true)`.execute(trx);
  try {
    const { rows } = await sql.raw<{ fingerprint: SchemaFingerprint }>(SCHEMA_FINGERPRINT_QUERY).execute(trx);
    return rows[0]!.fingerprint;
  } finally {
    await sql`SELECT set_config('search_path', ${saved[0]!.path}, true)`.execute(trx);
  }
}

/** The parts that differ, as "constraints 219 → 147" (or "policies altered" when only definitions changed). */
export function fingerprintDifferences(expected: SchemaFingerprint, actual: SchemaFingerprint): string[] {
  return Object.entries(expected)
    .filter(([name, want]) => actual[name]?.md5 !== want.md5)
    .map(([name, want]) => {
      const got = actual[name];
      return got && got.count === want.count ? `${name} altered` : `${name} ${want.count} → ${got?.count ?? 'missing'}`;
    });
}
