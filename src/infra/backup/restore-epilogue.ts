import type { InspectedBackup } from './backup-file.js';
import { INTERRUPTED_BY_RESTORE } from './backup-log.js';
import { RestoreRefusedError } from './restore.js';
import { fingerprintDifferences, SCHEMA_FINGERPRINT_QUERY, type SchemaFingerprint } from './schema-fingerprint.js';

const MISMATCH = 'roshni-restore-mismatch';
const SCHEMA_MISMATCH = 'roshni-restore-schema-mismatch';

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * SQL run in the restore's own transaction once the backup is loaded: it refuses (rolling the whole
 * restore back) when a table's row count differs from the manifest, and it settles the backup log.
 * The backup was taken while its own row said "running": that row becomes the completed backup it
 * is, and any other backup still running at that moment is marked interrupted (it never finished here).
 * Last, the application role's grants are given again (pg_restore --no-privileges restores none).
 */
export function restoreEpilogue(backup: InspectedBackup, finishedAt: Date): string {
  const { header } = backup;
  const manifest = JSON.stringify(header.manifest);
  const values = [manifest, header.kind, header.createdAt, finishedAt.toISOString(), backup.sha256];
  const tag = '$roshni_restore$';
  if (values.some((v) => v.includes(tag)) || !/^(manual|daily|weekly|monthly)$/.test(header.kind)) {
    throw new RestoreRefusedError('The backup header is not one Roshni wrote.');
  }
  return `DO ${tag}
DECLARE
  expected jsonb := ${literal(manifest)}::jsonb -> 'tables';
  expected_schema jsonb := ${literal(manifest)}::jsonb -> 'schema';
  actual_schema jsonb;
  saved_path text := current_setting('search_path');
  t text;
  n bigint;
  differ text[] := '{}';
BEGIN
  FOR t IN SELECT jsonb_object_keys(expected) LOOP
    n := NULL;
    IF to_regclass(format('public.%I', t)) IS NOT NULL THEN
      EXECUTE format('SELECT count(*) FROM public.%I', t) INTO n;
    END IF;
    IF n IS DISTINCT FROM (expected ->> t)::bigint THEN
      differ := differ || format('%s=%s', t, coalesce(n::text, 'missing'));
    END IF;
  END LOOP;
  IF cardinality(differ) > 0 THEN
    RAISE EXCEPTION '${MISMATCH} [%]', array_to_string(differ, ',');
  END IF;
  IF expected_schema IS NOT NULL THEN
    PERFORM set_config('search_path', 'pg_catalog', true);
    EXECUTE ${literal(SCHEMA_FINGERPRINT_QUERY)} INTO actual_schema;
    PERFORM set_config('search_path', saved_path, true);
    IF actual_schema IS DISTINCT FROM expected_schema THEN
      RAISE EXCEPTION '${SCHEMA_MISMATCH} %', actual_schema::text;
    END IF;
  END IF;
  IF to_regclass('public.backups') IS NOT NULL THEN
    UPDATE public.backups
      SET state = 'completed', finished_at = ${literal(finishedAt.toISOString())}, size_bytes = ${backup.sizeBytes},
          sha256 = ${literal(backup.sha256)}, manifest = ${literal(manifest)}::jsonb
      WHERE state = 'running' AND kind = ${literal(header.kind)}::public.backup_kind AND started_at = ${literal(header.createdAt)}::timestamptz;
    UPDATE public.backups
      SET state = 'failed', finished_at = coalesce(finished_at, ${literal(header.createdAt)}::timestamptz),
          error = ${literal(INTERRUPTED_BY_RESTORE)}
      WHERE state = 'running';
  END IF;
  IF to_regprocedure('public.roshni_grant_app_role()') IS NOT NULL THEN
    PERFORM public.roshni_grant_app_role();
  END IF;
  IF to_regprocedure('roshni_auth.grant_roles()') IS NOT NULL THEN
    PERFORM roshni_auth.grant_roles();
  END IF;
  -- Sessions open when the backup was taken would come back to life (some ended since): everyone signs in again.
  IF to_regclass('roshni_auth.sessions') IS NOT NULL THEN
    UPDATE roshni_auth.sessions SET ended_at = now(), ended_why = 'restored' WHERE ended_at IS NULL;
  END IF;
END ${tag};`;
}

/** The schema a refused restore found, from the epilogue's error, as the parts that differ from the manifest's. */
export function schemaMismatchOf(error: unknown, expected: SchemaFingerprint | undefined): string[] | null {
  const match = new RegExp(`${SCHEMA_MISMATCH} (\\{.*\\})`).exec((error as Error)?.message ?? '');
  if (!match || !expected) return null;
  return fingerprintDifferences(expected, JSON.parse(match[1]!) as SchemaFingerprint);
}

/** The row counts a refused restore found, from the epilogue's error. */
export function mismatchOf(error: unknown, expected: Record<string, number>): Record<string, number | null> | null {
  const match = new RegExp(`${MISMATCH} \\[([^\\]]*)\\]`).exec((error as Error)?.message ?? '');
  if (!match) return null;
  const actual: Record<string, number | null> = { ...expected };
  for (const pair of match[1]!.trim().split(',')) {
    const [table, count] = pair.split('=');
    if (table) actual[table] = count === 'missing' || count === undefined ? null : Number(count);
  }
  return actual;
}
