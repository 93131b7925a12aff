import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { fixedClock } from '../../src/infra/clock.js';
import { openPostgres, type Database } from '../../src/infra/db/database.js';
import { currentRole, declareActor, grantAppRole, SERVICE_ROLE, STAFF_ROLE } from '../../src/infra/db/row-security.js';
import type { DB } from '../../src/infra/db/schema.js';
import { withServerClient } from '../../src/infra/db/server-admin.js';
import { runCli } from '../support/cli.js';
import { seedClinic, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sessionFor } from '../support/staff-sessions.js';

// What families write to the bots (the raw updates a bot holds, a conversation's state mid-flow) is the
// bots' to read, as roshni_service. At a desk computer (roshni_staff) the database itself refuses the raw
// updates to everyone, shows receptionists and therapists only the chats handed to the clinic (the
// inbox) and the terminal's chats (`roshni chat`, the desk's own trials), and an admin every chat, for
// exports and erasures.
describe('the chat tables, from a desk computer and from roshni start', () => {
  let database: TestDatabase;
  let desk: Database;
  let service: Database;
  const tokens: Record<string, string> = {};
  // A desk computer's own login (a member of roshni_staff), for a connection that never steps down.
  const login = `desk_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    const ctx = systemContext(database.db, fixedClock('2026-12-07T04:30:00Z'));
    const { patients } = await seedClinic(ctx, { patients: 2, days: 1 });
    for (const [username, role] of [
      ['anita', 'admin'],
      ['desk', 'receptionist'],
      ['priya', 'therapist'],
    ] as const) {
      await addStaffUser(ctx, { username, fullName: `Staff ${username}`, role });
      tokens[username] = await sessionFor(database.db, username);
    }
    // As the bots leave them: a Telegram chat mid-booking with an update in hand, one handed to the clinic, a `roshni chat`.
    await sql`
      INSERT INTO bot_conversations (channel, chat_id, patient_id, state, handed_to_staff_at) VALUES
        ('telegram', '7001', ${patients[0]!.id}, '{"step": "booking", "typed": "for my son Aarav"}', NULL),
        ('telegram', '7002', ${patients[1]!.id}, '{}', '2026-12-07T04:00:00Z'),
        ('terminal', 'terminal:a-desk-trial', ${patients[0]!.id}, '{}', NULL)`.execute(database.db);
    await sql`
      INSERT INTO updates_in_hand (channel, bot_id, update_id, chat_id, "update", taken_at) VALUES
        ('telegram', 1, 501, '7001', '{"message": {"text": "Aarav, Tuesday 10:00"}}', '2026-12-07T04:29:00Z')`.execute(database.db);
    desk = await openPostgres(database.url, { max: 1, role: STAFF_ROLE });
    service = await openPostgres(database.url, { max: 1, role: SERVICE_ROLE });
  });
  afterAll(async () => {
    await desk?.close();
    await service?.close();
    await database?.close();
    await withServerClient(inject('databaseServerUrl'), (client) => client.query(`DROP ROLE IF EXISTS ${login}`));
  });

  /** A query from a desk computer, in a transaction presenting `username`'s session (null: none). */
  function atTheDesk<T>(username: string | null, query: (db: Kysely<DB>) => Promise<T>, from = desk): Promise<T> {
    return from.db.transaction().execute(async (trx) => {
      // The role the domain declares; the policies believe only the session.
      await declareActor(trx, { role: 'admin', session: username ? tokens[username]! : null });
      return query(trx);
    });
  }
  function asTheBots<T>(query: (db: Kysely<DB>) => Promise<T>): Promise<T> {
    return service.db.transaction().execute(async (trx) => {
      await declareActor(trx, { role: 'system' });
      return query(trx);
    });
  }
  const rawUpdates = (db: Kysely<DB>) => db.selectFrom('updates_in_hand').select('update').execute();
  const chatsInHand = (db: Kysely<DB>) => db.selectFrom('updates_in_hand').select(['channel', 'chat_id']).execute();
  const chats = async (db: Kysely<DB>) => (await db.selectFrom('bot_conversations').select('chat_id').orderBy('id').execute()).map((c) => c.chat_id);

  it('refuses the raw updates at every desk, admin or not, and shows only an admin which chats have some (to erase them)', async () => {
    for (const username of ['desk', 'priya', 'anita', null]) {
      await expect(atTheDesk(username, rawUpdates), String(username)).rejects.toThrow('permission denied for table updates_in_hand');
    }
    await expect(
      atTheDesk('desk', (db) =>
        db
          .insertInto('updates_in_hand')
          .values({ channel: 'telegram', bot_id: 1, update_id: 502, chat_id: '7001', update: '{}', taken_at: new Date('2026-12-07T04:29:30Z') })
          .execute(),
      ),
    ).rejects.toThrow('permission denied for table updates_in_hand');
    expect(await atTheDesk('desk', chatsInHand)).toEqual([]);
    expect(await atTheDesk('priya', chatsInHand)).toEqual([]);
    expect(await atTheDesk(null, chatsInHand)).toEqual([]);
    expect(await atTheDesk('anita', chatsInHand)).toEqual([{ channel: 'telegram', chat_id: '7001' }]);
    expect(await asTheBots(rawUpdates)).toEqual([{ update: { message: { text: 'Aarav, Tuesday 10:00' } } }]);
  });

  it('shows receptionists and therapists the chats handed to the clinic and the terminal’s, an admin and the bots all', async () => {
    expect(await atTheDesk('desk', chats)).toEqual(['7002', 'terminal:a-desk-trial']);
    expect(await atTheDesk('priya', chats)).toEqual(['7002', 'terminal:a-desk-trial']);
    expect(await atTheDesk(null, chats)).toEqual(['terminal:a-desk-trial']);
    // Asking for the chat mid-booking by name gets nothing, and changes nothing.
    expect(await atTheDesk('priya', (db) => db.selectFrom('bot_conversations').select('state').where('chat_id', '=', '7001').execute())).toEqual([]);
    expect(await atTheDesk('desk', (db) => db.updateTable('bot_conversations').set({ state: '{}' }).where('chat_id', '=', '7001').execute())).toEqual([
      expect.objectContaining({ numUpdatedRows: 0n }),
    ]);
    expect(await atTheDesk('anita', chats)).toEqual(['7001', '7002', 'terminal:a-desk-trial']);
    // The inbox shows a therapist the chat handed to the clinic.
    const inbox = await runCli(['inbox', 'list', '--json'], { DATABASE_URL: database.url, ROSHNI_SESSION: tokens.priya! });
    expect(inbox.code, inbox.stderr).toBe(0);
    expect(JSON.parse(inbox.stdout)).toEqual([expect.objectContaining({ channel: 'telegram' })]);
    expect(await asTheBots((db) => db.selectFrom('bot_conversations').select('state').where('chat_id', '=', '7001').execute())).toEqual([
      { state: { step: 'booking', typed: 'for my son Aarav' } },
    ]);
  });

  it('binds a desk login that never stepped down to roshni_staff the same', async () => {
    await sql.raw(`CREATE ROLE ${login} LOGIN IN ROLE roshni_staff`).execute(database.db);
    const url = new URL(database.url);
    url.username = login;
    const own = await openPostgres(url.toString(), { max: 1 });
    try {
      expect(await currentRole(own.db)).toBe(login);
      expect(await atTheDesk('desk', chats, own)).toEqual(['7002', 'terminal:a-desk-trial']);
      expect(await atTheDesk('desk', chatsInHand, own)).toEqual([]);
      await expect(atTheDesk('anita', rawUpdates, own)).rejects.toThrow('permission denied for table updates_in_hand');
    } finally {
      await own.close();
    }
  });

  it('keeps the raw updates refused after the grants are given again (every migration and restore does)', async () => {
    await grantAppRole(database.db);
    await expect(atTheDesk('anita', rawUpdates)).rejects.toThrow('permission denied for table updates_in_hand');
    expect(await atTheDesk('anita', chatsInHand)).toHaveLength(1);
  });
});
