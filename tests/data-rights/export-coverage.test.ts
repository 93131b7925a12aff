import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_SECTIONS, NOT_EXPORTED, ROWS_NOT_EXPORTED } from '../../src/domain/data-rights/export-sections.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The export misses nothing: every table that refers to a patient or a guardian — by a foreign key,
// by a column named so without one (the audit log's patient_id), or through other such tables (a
// refund through its payment, a chat's files through the chat) — is exported or excluded with a
// reason, in the one list src/domain/data-rights/export-sections.ts keeps. A migration that adds such a table
// and forgets the export fails here.

/** Tables (public ones by name, others as schema.name) that refer to a patient or guardian, at any number of hops. */
async function tablesAboutPeople(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    WITH RECURSIVE tables AS (
      SELECT c.oid, CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    ),
    people AS (
      SELECT oid FROM tables WHERE name IN ('patients', 'guardians')
    ),
    named AS (
      -- A column naming a patient or guardian without a foreign key (e.g. audit_log.patient_id).
      SELECT DISTINCT a.attrelid AS oid FROM pg_attribute a JOIN tables t ON t.oid = a.attrelid
      WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attname ~ '(^|_)(patient|guardian)s?_id$'
    ),
    reached(oid) AS (
      SELECT oid FROM people UNION SELECT oid FROM named
      UNION
      SELECT k.conrelid FROM pg_constraint k JOIN reached r ON k.confrelid = r.oid WHERE k.contype = 'f'
    )
    SELECT t.name FROM reached r JOIN tables t ON t.oid = r.oid ORDER BY t.name`.execute(db);
  return rows.map((r) => r.name);
}

async function allTables(db: Kysely<any>): Promise<Set<string>> {
  const { rows } = await sql<{ name: string }>`
    SELECT CASE WHEN table_schema = 'public' THEN table_name ELSE table_schema || '.' || table_name END AS name
    FROM information_schema.tables
    WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`.execute(db);
  return new Set(rows.map((r) => r.name));
}

const exported = new Set<string>(EXPORT_SECTIONS.flatMap((s) => s.tables));

/** What the test would say: tables about people that are neither exported nor excluded. */
const forgotten = (tables: string[]) => tables.filter((t) => !exported.has(t) && !(t in NOT_EXPORTED));

describe('the patient export covers every table about a patient or guardian', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  it('exports or excludes, with a reason, every table that refers to a patient or guardian', async () => {
    const about = await tablesAboutPeople(database.db);
    // The schema as migrated: the direct references, the audit log's bare patient_id, and tables one
    // or more hops away (refunds through payments, receipts through refunds, chat files through chats).
    for (const table of [
      'patients',
      'guardians',
      'patient_guardians',
      'audit_log',
      'waitlist_offers',
      'refunds',
      'receipts',
      'goal_measurements',
      'pending_chat_documents',
      'inbox_messages',
    ]) {
      expect(about, table).toContain(table);
    }
    expect(about).not.toContain('therapists');
    expect(about).not.toContain('roshni_auth.sessions');
    expect(forgotten(about)).toEqual([]);
  });

  it('names only tables that exist, each once, and gives every exclusion its reason', async () => {
    const tables = await allTables(database.db);
    for (const table of [...exported, ...Object.keys(NOT_EXPORTED)]) expect(tables.has(table), table).toBe(true);
    // Rows left out on purpose are rows of exported tables.
    for (const table of ROWS_NOT_EXPORTED.flatMap((r) => r.tables)) expect(exported.has(table), table).toBe(true);
    for (const [table, reason] of Object.entries(NOT_EXPORTED)) {
      expect(exported.has(table), `${table} is both exported and excluded`).toBe(false);
      expect(reason.trim().length, `the reason ${table} is not exported`).toBeGreaterThan(10);
    }
    const names = EXPORT_SECTIONS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('fails for a new table about a patient, or one hop from one, until it is exported or excluded', async () => {
    // What a careless migration would add: notes about a patient, and their attachments.
    await sql`
      CREATE TABLE home_visits (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, patient_id integer NOT NULL REFERENCES patients (id), note text);
      CREATE TABLE home_visit_photos (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, visit_id integer NOT NULL REFERENCES home_visits (id));
      CREATE TABLE call_log (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, guardian_id integer, said text);`.execute(database.db);
    try {
      expect(forgotten(await tablesAboutPeople(database.db))).toEqual(['call_log', 'home_visit_photos', 'home_visits']);
    } finally {
      await sql`DROP TABLE home_visit_photos, home_visits, call_log`.execute(database.db);
    }
    expect(forgotten(await tablesAboutPeople(database.db))).toEqual([]);
  });
});
