// A second Roshni process for tests/db/embedded-smoke.test.ts: it tries to open the embedded
// database at the home given as argument, and reports on stdout what happened, as JSON.
import { openEmbedded } from '../../src/infra/db/database.js';

const home = process.argv[2];
if (!home) throw new Error('usage: embedded-contender.ts <home>');
try {
  const database = await openEmbedded(home);
  await database.close();
  console.log(JSON.stringify({ opened: true }));
} catch (error) {
  console.log(JSON.stringify({ opened: false, error: (error as Error).name, message: (error as Error).message }));
}
