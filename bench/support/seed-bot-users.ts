import type { Pool } from 'pg';
import { STATE_VERSION } from '../../src/domain/messaging/conversations.js';
import type { SeededClinic } from './seed-clinic.js';

// Guardians on Telegram for the bot-load benchmark, in bulk SQL (hundreds of families; the clinic
// itself is built through the domain by seedClinic): each guardian's chat is already linked to them
// and waiting at the menu, as after identification. Every fifth guardian has two children (the bot
// asks which child); every child has one appointment ahead, on every other slot, so "My
// appointments" lists something and half the slots stay free to browse when booking.

/** Chat ids of the seeded guardians: FIRST_CHAT_ID + 1 … FIRST_CHAT_ID + count. */
export const FIRST_CHAT_ID = 100_000;

export function chatIdOf(user: number): number {
  return FIRST_CHAT_ID + 1 + user;
}

export async function seedBotUsers(pool: Pool, clinic: SeededClinic, count: number): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO guardians (full_name, phone)
       SELECT 'Guardian ' || i, '+9198' || lpad(i::text, 8, '0') FROM generate_series(1, $1::int) i`,
      [count],
    );
    await client.query(
      `INSERT INTO patients (full_name)
       SELECT 'Child ' || i || '-' || c FROM generate_series(1, $1::int) i, generate_series(1, CASE WHEN i % 5 = 0 THEN 2 ELSE 1 END) c`,
      [count],
    );
    // 'Guardian 12' → children 'Child 12-1' (and 'Child 12-2').
    await client.query(
      `INSERT INTO patient_guardians (patient_id, guardian_id, is_primary)
       SELECT p.id, g.id, true FROM guardians g JOIN patients p ON p.full_name LIKE 'Child ' || substr(g.full_name, 10) || '-%'
       WHERE g.full_name LIKE 'Guardian %'`,
    );
    await client.query(
      `INSERT INTO bot_conversations (channel, chat_id, guardian_id, language, state, state_version)
       SELECT 'telegram', ($1::int + substr(full_name, 10)::int)::text, id, 'en', '{"step":"menu","data":{},"options":[]}'::jsonb, $2::int
       FROM guardians WHERE full_name LIKE 'Guardian %'`,
      [FIRST_CHAT_ID, STATE_VERSION],
    );
    const booked = await client.query(
      `INSERT INTO appointments (patient_id, therapist_id, service_id, slot_id, starts_at, ends_at, price_paise)
       SELECT p.id, s.therapist_id, $1, s.id, s.starts_at, s.starts_at + make_interval(mins => $2::int), $3
       FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM patients WHERE full_name LIKE 'Child %') p
       JOIN (SELECT id, therapist_id, starts_at, row_number() OVER (ORDER BY starts_at, therapist_id) AS n FROM appointment_slots) s ON s.n = p.n * 2`,
      [clinic.service.id, clinic.service.durationMinutes, clinic.service.pricePaise],
    );
    const children = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM patients WHERE full_name LIKE 'Child %'`)).rows[0]!.n);
    if (booked.rowCount !== children) throw new Error(`Booked ${booked.rowCount} of ${children} children: seed more slots.`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
  return Array.from({ length: count }, (_, user) => chatIdOf(user));
}

/** Slots the seed needs: two per child (one booked, one left free), children being 1.2 per guardian. */
export function slotsNeededFor(guardians: number): number {
  return 2 * Math.ceil(guardians * 1.2) + 2;
}
