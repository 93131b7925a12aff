import type { Migration } from 'kysely';
import * as clinicAndStaff from './2026-11-26-0001-clinic-and-staff.js';
import * as patientsAndGuardians from './2026-11-26-0002-patients-and-guardians.js';
import * as scheduling from './2026-11-26-0003-scheduling.js';
import * as billing from './2026-11-26-0004-billing.js';
import * as clinicalRecords from './2026-11-26-0005-clinical-records.js';
import * as messaging from './2026-11-26-0006-messaging.js';
import * as operations from './2026-11-26-0007-operations.js';
import * as patientActions from './2026-11-26-0008-patient-actions.js';
import * as documentsAndErasure from './2026-11-26-0009-documents-and-erasure.js';
import * as rowSecurityAndAppRole from './2026-11-26-0010-row-security-and-app-role.js';
import * as openPaymentLinks from './2026-11-26-0011-open-payment-links.js';
import * as familyDocuments from './2026-11-26-0012-family-documents.js';
import * as treatingTherapist from './2026-11-26-0013-treating-therapist.js';
import * as sendPacing from './2026-11-26-0014-send-pacing.js';
import * as serialisedAppointmentTimes from './2026-11-26-0015-serialised-appointment-times.js';
import * as samplePeople from './2026-11-26-0016-sample-people.js';
import * as staffSignIn from './2026-12-06-0017-staff-sign-in.js';
import * as auditChain from './2026-12-07-0018-audit-chain.js';
import * as forceRowSecurity from './2026-12-07-0020-force-row-security.js';
import * as webhookPayloadDedupe from './2026-12-07-0021-webhook-payload-dedupe.js';
import * as pendingChatDocuments from './2026-12-07-0022-pending-chat-documents.js';
import * as erasureLedger from './2026-12-07-0023-erasure-ledger.js';
import * as notificationSubject from './2026-12-07-0024-notification-subject.js';
import * as oneWaitlistEntry from './2026-12-07-0025-one-waitlist-entry.js';
import * as updatesInHand from './2026-12-07-0026-updates-in-hand.js';
import * as chatTablesForTheBots from './2026-12-07-0027-chat-tables-for-the-bots.js';

// Listed statically (not read from the folder at run time) so the compiled CLI, the
// tests and the benchmark all apply exactly the same set. tests/db/migrations.test.ts
// fails when a file in this folder is missing here.
export const migrations: Record<string, Migration> = {
  '2026-11-26-0001-clinic-and-staff': clinicAndStaff,
  '2026-11-26-0002-patients-and-guardians': patientsAndGuardians,
  '2026-11-26-0003-scheduling': scheduling,
  '2026-11-26-0004-billing': billing,
  '2026-11-26-0005-clinical-records': clinicalRecords,
  '2026-11-26-0006-messaging': messaging,
  '2026-11-26-0007-operations': operations,
  '2026-11-26-0008-patient-actions': patientActions,
  '2026-11-26-0009-documents-and-erasure': documentsAndErasure,
  '2026-11-26-0010-row-security-and-app-role': rowSecurityAndAppRole,
  '2026-11-26-0011-open-payment-links': openPaymentLinks,
  '2026-11-26-0012-family-documents': familyDocuments,
  '2026-11-26-0013-treating-therapist': treatingTherapist,
  '2026-11-26-0014-send-pacing': sendPacing,
  '2026-11-26-0015-serialised-appointment-times': serialisedAppointmentTimes,
  '2026-11-26-0016-sample-people': samplePeople,
  '2026-12-06-0017-staff-sign-in': staffSignIn,
  '2026-12-07-0018-audit-chain': auditChain,
  '2026-12-07-0020-force-row-security': forceRowSecurity,
  '2026-12-07-0021-webhook-payload-dedupe': webhookPayloadDedupe,
  '2026-12-07-0022-pending-chat-documents': pendingChatDocuments,
  '2026-12-07-0023-erasure-ledger': erasureLedger,
  '2026-12-07-0024-notification-subject': notificationSubject,
  '2026-12-07-0025-one-waitlist-entry': oneWaitlistEntry,
  '2026-12-07-0026-updates-in-hand': updatesInHand,
  '2026-12-07-0027-chat-tables-for-the-bots': chatTablesForTheBots,
};
