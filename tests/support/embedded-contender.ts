// Another Roshni process for the embedded database's tests: it opens the embedded database at the home
// given as argument as roshni_service (starting its server if needed, bringing its schema up to date),
// asks who it is, and reports on stdout, as JSON.
import { sql } from 'kysely';
import { openEmbedded } from '../../src/infra/db/database.js';
import { SERVICE_ROLE } from '../../src/infra/db/row-security.js';

const home = process.argv[2];
if (!home) throw new Error('usage: embedded-contender.ts <home>');
try {
  const database = await openEmbedded(home, { role: SERVICE_ROLE });
  const { rows } = await sql<{ user: string }>`SELECT current_user AS user`.execute(database.db);
  await database.close();
  console.log(JSON.stringify({ opened: true, user: rows[0]!.user }));
} catch (error) {
  console.log(JSON.stringify({ opened: false, error: (error as Error).name, message: (error as Error).message }));
}
