import { sql, type Kysely } from 'kysely';
import type { DB } from '../../infra/db/schema.js';
import { inTransaction, type DomainContext } from '../context.js';
import { ConflictError } from '../errors.js';
import { addStaffUser } from '../people/staff.js';
import { setStaffPassword } from './staff-passwords.js';

// A new clinic has nobody who can sign in. `roshni init` then creates the first admin, with a password;
// from then on the clinic is changed only by signed-in staff (the database agrees: migration 0017).

export async function needsFirstAdmin(db: Kysely<DB>): Promise<boolean> {
  const { rows } = await sql<{ needed: boolean }>`SELECT roshni_auth.needs_first_admin() AS needed`.execute(db);
  return rows[0]!.needed;
}

export async function createFirstAdmin(ctx: DomainContext, input: { username: string; fullName: string; password: string }) {
  return inTransaction(ctx, async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('roshni.first_admin'))`.execute(tx.db);
    if (!(await needsFirstAdmin(tx.db))) throw new ConflictError('The clinic already has an admin who can sign in: sign in as them instead.');
    const existing = await tx.db
      .selectFrom('staff_users')
      .select(['id', 'role', 'active'])
      .where('username', '=', input.username.trim().toLowerCase())
      .executeTakeFirst();
    const admin =
      existing?.role === 'admin' && existing.active ? existing : await addStaffUser(tx, { username: input.username, fullName: input.fullName, role: 'admin' });
    await setStaffPassword(tx, { username: input.username, password: input.password });
    return admin;
  });
}
