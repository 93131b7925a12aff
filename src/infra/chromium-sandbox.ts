import type { Config } from './config.js';

// WhatsApp's browser (Chromium, driven by whatsapp-web.js) renders a web page from outside all day:
// it runs with Chromium's sandbox, so a page that breaks the browser does not get Roshni's rights
// (the patients' documents, the database's credentials, the WhatsApp session). Chromium will not
// start sandboxed as root; then Roshni refuses, unless ROSHNI_WHATSAPP_NO_SANDBOX=yes accepts the risk.

export const SANDBOX_README = 'README, "Operations" › "The WhatsApp browser"';

export interface SandboxDecision {
  /** Chromium's sandbox is on. */
  sandbox: boolean;
  /** Why the browser may not start at all (root, without the explicit opt-out). */
  refusal?: string;
  /** What `roshni health` warns of, if anything. */
  warning?: string;
}

/** `uid`: the process's user (process.getuid(); undefined where there is none, as on Windows). */
export function chromiumSandbox(config: Config, uid: number | undefined = process.getuid?.()): SandboxDecision {
  const root = uid === 0;
  if (config.env.ROSHNI_WHATSAPP_NO_SANDBOX) {
    return {
      sandbox: false,
      warning: `the WhatsApp browser runs without Chromium's sandbox (ROSHNI_WHATSAPP_NO_SANDBOX)${root ? ' and as root' : ''}: a page that breaks it gets ${root ? 'the whole machine' : "this user's files and credentials"}; run it as an unprivileged user with the sandbox on (${SANDBOX_README})`,
    };
  }
  if (root) {
    const why = `Roshni runs as root, where Chromium will not start with its sandbox: run it as an unprivileged user (${SANDBOX_README}), or set ROSHNI_WHATSAPP_NO_SANDBOX=yes to run the WhatsApp browser unsandboxed at your own risk`;
    return { sandbox: true, refusal: why, warning: `the WhatsApp browser will not start: ${why}` };
  }
  return { sandbox: true };
}

/** Chromium's command-line switches for the decision: none with the sandbox on. */
export function chromiumArgs(decision: SandboxDecision): string[] {
  return decision.sandbox ? [] : ['--no-sandbox', '--disable-setuid-sandbox'];
}
