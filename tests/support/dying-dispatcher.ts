// A dispatcher in a process of its own, for tests/jobs/dispatcher.test.ts to kill with SIGKILL
// mid-batch. Its channel prints each address on stdout as it sends; from message `hangAfter + 1` on it
// never answers (that one is in flight when the process dies). Usage: <database url> <hangAfter> <leaseMs>
import { openPostgres } from '../../src/infra/db/database.js';
import type { Channel } from '../../src/infra/channels/channel.js';
import { Dispatcher } from '../../src/jobs/dispatcher.js';
import { systemContext } from './clinic.js';

const [url, hangAfter, leaseMs] = process.argv.slice(2);
if (!url || !hangAfter || !leaseMs) throw new Error('usage: dying-dispatcher.ts <database url> <hangAfter> <leaseMs>');
const database = await openPostgres(url, { max: 2 });
let sent = 0;
const channel: Channel = {
  name: 'telegram',
  async send(address) {
    process.stdout.write(`${address}\n`);
    if (++sent > Number(hangAfter)) return new Promise(() => {});
    return { providerMessageId: address };
  },
};
const dispatcher = new Dispatcher({
  ctx: systemContext(database.db),
  channels: { telegram: channel },
  instanceId: 'dying',
  concurrency: 1,
  batchSize: 20,
  leaseMs: Number(leaseMs),
});
await dispatcher.runOnce();
