// The name of every migration in migrations/index.ts, oldest first: what every command compares with
// kysely_migration before it starts, without loading the migrations themselves (their SQL is about
// 120 KB of the CLI to read and compile). tests/db/migrations.test.ts fails when the two lists differ.
export const MIGRATION_NAMES: readonly string[] = [
  '2026-11-26-0001-clinic-and-staff',
  '2026-11-26-0002-patients-and-guardians',
  '2026-11-26-0003-scheduling',
  '2026-11-26-0004-billing',
  '2026-11-26-0005-clinical-records',
  '2026-11-26-0006-messaging',
  '2026-11-26-0007-operations',
  '2026-11-26-0008-patient-actions',
  '2026-11-26-0009-documents-and-erasure',
  '2026-11-26-0010-row-security-and-app-role',
  '2026-11-26-0011-open-payment-links',
  '2026-11-26-0012-family-documents',
  '2026-11-26-0013-treating-therapist',
  '2026-11-26-0014-send-pacing',
  '2026-11-26-0015-serialised-appointment-times',
  '2026-11-26-0016-sample-people',
  '2026-12-06-0017-staff-sign-in',
  '2026-12-07-0018-audit-chain',
  '2026-12-07-0020-force-row-security',
  '2026-12-07-0021-webhook-payload-dedupe',
  '2026-12-07-0022-pending-chat-documents',
  '2026-12-07-0023-erasure-ledger',
  '2026-12-07-0024-notification-subject',
  '2026-12-07-0025-one-waitlist-entry',
];
