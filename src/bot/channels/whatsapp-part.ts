import { ServiceUnavailable } from '../../infra/service-unavailable.js';
import { finishedWithin, type PartControl, type Releasable, type SupervisedPart } from '../../infra/part-supervisor.js';
import { ConversationEngine } from '../engine/engine.js';
import type { EngineDeps } from '../engine/types.js';
import { attachWhatsApp, type WhatsAppClientLike, type WhatsAppSession } from './whatsapp.js';

// WhatsApp as a part of `roshni start`, kept going by the part supervisor. Each start opens a fresh
// client (one that failed or was disconnected is not used again), and the part is running once the
// session is ready. It is lost when the client says 'disconnected' or when the browser under it
// closes or its page crashes, which whatsapp-web.js does not notice by itself.

/** When the part stops, the messages taken have this long to finish (within the supervisor's 5 s). */
const FINISH_GRACE_MS = 3_500;

export interface WhatsAppHandle extends Releasable {
  /** The connected client, for the dispatcher's WhatsApp channel and GET /health's session state. */
  whatsapp: WhatsAppClientLike;
}

/** Something with puppeteer's `on` (its Browser and Page), found on whatsapp-web.js's client once initialized. */
interface Observable {
  on(event: string, listener: () => void): unknown;
}

/** A WhatsApp state ('CONFLICT', 'UNPAIRED', 'LOGOUT'…) is safe to show; anything else is not repeated. */
function stateWord(state: unknown): string {
  return typeof state === 'string' && /^[A-Za-z _]{1,40}$/.test(state) ? state : 'unknown reason';
}

function watchBrowser(client: WhatsAppClientLike, fail: (reason: unknown) => void): void {
  const { pupBrowser, pupPage } = client as { pupBrowser?: Partial<Observable>; pupPage?: Partial<Observable> };
  pupBrowser?.on?.('disconnected', () => fail(new ServiceUnavailable('browser closed')));
  pupPage?.on?.('error', () => fail(new ServiceUnavailable('browser page crashed')));
}

async function destroyQuietly(client: WhatsAppClientLike): Promise<void> {
  await client.destroy().catch(() => {});
}

export function whatsappPart<C extends PartControl>(
  openSession: (control: C) => Promise<WhatsAppSession>,
  engineDeps: (control: C) => Promise<EngineDeps>,
): SupervisedPart<WhatsAppHandle, C> {
  return {
    name: 'whatsapp',
    label: 'WhatsApp bot',
    async start(control) {
      const deps = await engineDeps(control);
      const { client, makeMedia } = await openSession(control);
      const adapter = attachWhatsApp(client, new ConversationEngine(deps), makeMedia, deps.log);
      let started = false;
      let failStart: (reason: unknown) => void = () => {};
      const ready = new Promise<void>((resolve, reject) => {
        failStart = reject;
        client.on('ready', () => resolve());
      });
      ready.catch(() => {}); // a failure after the start is reported through control.lost
      const fail = (reason: unknown) => (started ? control.lost(reason) : failStart(reason));
      client.on('disconnected', (state: unknown) => fail(new ServiceUnavailable(`disconnected (${stateWord(state)})`)));
      client.on('auth_failure', () => fail(new ServiceUnavailable('login refused: scan the QR again (roshni bot whatsapp)')));
      const onStop = () => failStart(new ServiceUnavailable('stopped'));
      control.signal.addEventListener('abort', onStop, { once: true });
      try {
        // initialize() cannot be aborted: on stop the client is destroyed, which ends it.
        const initializing = client.initialize();
        initializing.catch(() => {});
        await Promise.race([initializing, ready]);
        watchBrowser(client, fail);
        await ready;
      } catch (error) {
        await destroyQuietly(client);
        throw error instanceof ServiceUnavailable ? error : new ServiceUnavailable('browser did not start', { cause: error });
      } finally {
        control.signal.removeEventListener('abort', onStop);
      }
      started = true;
      return {
        whatsapp: client,
        async stop() {
          // The messages taken finish with their replies (WhatsApp does not deliver them again) before the browser goes.
          await finishedWithin(FINISH_GRACE_MS, adapter.idle());
          await destroyQuietly(client);
        },
      };
    },
  };
}
