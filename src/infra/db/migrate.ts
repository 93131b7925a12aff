import { Migrator, type Kysely, type MigrationInfo, type MigrationResultSet } from 'kysely';
import { migrations } from '../../../migrations/index.js';
import { grantAppRole } from './row-security.js';
import { OperationalError } from '../failure.js';

function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

export interface MigrationRun {
  applied: string[];
}

export class MigrationError extends OperationalError {
  constructor(
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super('database', `Migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'MigrationError';
  }
}

/** Applies every pending migration; safe to run again and from two processes at once (Kysely's lock table). */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationRun> {
  const { error, results }: MigrationResultSet = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationError(failed?.migrationName, error);
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  // Tables a migration added get the application role's grants (src/infra/db/row-security.ts).
  if (applied.length) await grantAppRole(db);
  return { applied };
}

export interface MigrationStatus {
  name: string;
  executedAt: Date | null;
}

export async function migrationStatus(db: Kysely<any>): Promise<MigrationStatus[]> {
  const list: readonly MigrationInfo[] = await migrator(db).getMigrations();
  return list.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
}
