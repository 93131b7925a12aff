import type { Kysely } from 'kysely';
import type pg from 'pg';
import { thisMachine } from '../../src/cli/staff-session-file.js';
import { createFirstAdmin } from '../../src/domain/access/first-admin.js';
import { signIn } from '../../src/domain/access/sign-in.js';
import type { DB } from '../../src/infra/db/schema.js';
import { insertAppointments, seedClinic } from './seed-clinic.js';

const PASSWORD = 'a benchmark password';

/** The session benchmarks' clinic: six therapists, a day of 72 appointments, and an admin signed in on this machine. */
export async function seedSignedInClinic(db: Kysely<DB>, pool: pg.Pool): Promise<{ token: string }> {
  const clinic = await seedClinic(db, { therapists: 6, slotsNeeded: 72 });
  await insertAppointments(pool, clinic, 72);
  await createFirstAdmin(clinic.ctx, { username: 'bench.admin', fullName: 'Bench Admin', password: PASSWORD });
  const { token } = await signIn(db, { username: 'bench.admin', password: PASSWORD, machine: thisMachine() });
  return { token };
}
