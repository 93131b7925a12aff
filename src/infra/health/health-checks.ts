import { documentStoreFor } from '../storage/file-document-store.js';
import { backupCheck, backupClockCheck, backupRetentionCheck, verifiedBackupCheck } from './backup-checks.js';
import { databaseCheck, outboxCheck } from './database-checks.js';
import { diskCheck, healthProbes } from './disk-check.js';
import { externalServices, serviceCheck, whatsappCheck, type Verdict } from './external-services.js';
import { fileModesCheck } from './file-modes-check.js';
import type { HealthDeps } from './health-report.js';
import { timed, type RunningCheck } from './timed-check.js';
import { whatsappSandboxCheck } from './whatsapp-sandbox.js';

// Which checks `roshni health` runs, and with what: all started at once, each within its time.

const SERVICE_TIMEOUT_MS = 5_000;
const CHECKS_ANSWER_WITHIN_MS = 10_000;

export interface ChecksRun {
  checkedAt: string;
  began: number;
  checks: RunningCheck[];
}

/** Starts every check at once. */
export function startChecks(deps: HealthDeps): ChecksRun {
  const began = performance.now();
  const now = deps.clock.now();
  const { config } = deps;
  const db = 'error' in deps.db ? null : deps.db;
  const openError = 'error' in deps.db ? deps.db.error : null;
  const diskSpace = deps.diskSpace ?? healthProbes.diskSpace;
  const doFetch = deps.fetch ?? fetch;
  const within = deps.answerWithinMs ?? CHECKS_ANSWER_WITHIN_MS;
  // A service is given its own time, and less when the whole answer must come sooner.
  const serviceTimeoutMs = Math.min(SERVICE_TIMEOUT_MS, within - 50);
  const check = (name: string, verdict: () => Promise<Verdict & { verifiedAt?: string }>) => timed(name, verdict, within);

  const checks: RunningCheck[] = [
    timed('database', () => databaseCheck(db, openError), within, 'fail'),
    check('disk', () => diskCheck(config.home, diskSpace)),
  ];
  if (db) {
    checks.push(
      check('backup', () => backupCheck(db, now)),
      check('backup-clock', () => backupClockCheck(config, now)),
      check('backup-retention', () => backupRetentionCheck(config, now)),
      check('verified-backup', () => verifiedBackupCheck(db, now)),
      check('outbox', () => outboxCheck(db, now)),
      check('audit-chain', async () => (await import('./audit-chain-check.js')).auditChainCheck(db, config, now)),
    );
  }
  checks.push(
    check('documents', async () => {
      // The store itself writes the probe, where it writes documents (same folder, same resolution).
      const store = documentStoreFor(config);
      await store.probe();
      return { status: 'ok', detail: `${store.dir} is writable` };
    }),
    check('file-modes', async () => fileModesCheck(config)),
  );
  for (const service of externalServices(config)) checks.push(check(service.name, () => serviceCheck(service, doFetch, serviceTimeoutMs, deps.signal)));
  if (config.env.WHATSAPP_ENABLED) {
    checks.push(check('whatsapp', () => whatsappCheck(config, deps.whatsappState, serviceTimeoutMs)));
    checks.push(check('whatsapp-sandbox', async () => whatsappSandboxCheck(config, deps.userId)));
  }
  return { checkedAt: now.toISOString(), began, checks };
}
