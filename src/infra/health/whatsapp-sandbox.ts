import { chromiumSandbox } from '../chromium-sandbox.js';
import type { Config } from '../config.js';
import type { Verdict } from './external-services.js';

/** `roshni health`'s `whatsapp-sandbox` check: warns when the WhatsApp browser runs, or would have to run, without its sandbox. */
export function whatsappSandboxCheck(config: Config, uid?: number): Verdict {
  const decision = uid === undefined ? chromiumSandbox(config) : chromiumSandbox(config, uid);
  return decision.warning
    ? { status: 'warn', detail: decision.warning }
    : { status: 'ok', detail: "the WhatsApp browser runs in Chromium's sandbox, as an unprivileged user" };
}
