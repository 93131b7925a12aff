import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordAudit } from '../../src/domain/audit/record-audit.js';
import { recordManualPayment } from '../../src/domain/billing/record-manual-payment.js';
import { refundPayment } from '../../src/domain/billing/refund-payment.js';
import { newAssessment } from '../../src/domain/clinical/assessments.js';
import { addGoal, measureGoal } from '../../src/domain/clinical/goals.js';
import { addSessionNotes } from '../../src/domain/clinical/session-notes.js';
import type { DomainContext } from '../../src/domain/context.js';
import { grantConsent } from '../../src/domain/data-rights/consents.js';
import { addDocument } from '../../src/domain/documents/documents.js';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { completeAppointment } from '../../src/domain/scheduling/attendance.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { FileDocumentStore } from '../../src/infra/storage/file-document-store.js';
import { runCli } from '../support/cli.js';
import { slotsOn, systemContext } from '../support/clinic.js';
import { openClinicalClinic } from '../clinical/clinical-clinic.js';
import { pdf } from '../documents/sample-files.js';

/** Who is who: each identifier must vanish with the person (or stay with them). */
export const AARAV = { name: 'Aarav Gupta', phone: '+919844455566', national: '9844455566', email: 'aarav.gupta@example.in' };
export const RAKESH = { name: 'Rakesh Gupta', phone: '+919833344455', national: '9833344455', email: 'rakesh.gupta@example.in' };
export const SUNITA = { name: 'Sunita Gupta', phone: '+919822233344', email: 'sunita.gupta@example.in' };
export const DIYA = { name: 'Diya Gupta' };

/**
 * The clinical clinic (three weeks ago) and the Guptas: Aarav and his sister Diya share their
 * mother Sunita; their father Rakesh is linked to Aarav only. Aarav has everything a patient can
 * have: sessions with notes, a cancelled one, a payment with a receipt and a refund, an
 * assessment, a goal, documents (one with the same content as Diya's), a consent, a chat and its
 * messages, a Razorpay webhook naming him and an old audit entry that named him.
 */
export async function openGuptaClinic() {
  const clinic = await openClinicalClinic();
  const home = mkdtempSync(join(tmpdir(), 'roshni-dpdp-'));
  const documentsDir = join(home, 'documents');
  const start = addDays(clinicDate(new Date(), 'Asia/Kolkata'), -21);
  const day = addDays(start, 2);
  const clock = fixedClock(`${start}T00:00:00Z`);
  const ctx: DomainContext = { ...systemContext(clinic.database.db, clock), documentStore: new FileDocumentStore(documentsDir, 25 * 1024 * 1024) };
  const { speech, speechService } = clinic.clinic;

  const sunita = await addGuardian(ctx, { fullName: SUNITA.name, phone: SUNITA.phone, email: SUNITA.email });
  const rakesh = await addGuardian(ctx, { fullName: RAKESH.name, phone: RAKESH.phone, email: RAKESH.email });
  const aarav = await addPatient(ctx, {
    fullName: AARAV.name,
    dateOfBirth: '2016-05-05',
    phone: AARAV.phone,
    email: AARAV.email,
    withGuardian: { guardianId: sunita.id, relationship: 'mother', isPrimary: true },
  });
  await clinic.database.db.insertInto('patient_guardians').values({ patient_id: aarav.id, guardian_id: rakesh.id, relationship: 'father' }).execute();
  const diya = await addPatient(ctx, {
    fullName: DIYA.name,
    dateOfBirth: '2020-01-01',
    withGuardian: { guardianId: sunita.id, relationship: 'mother', isPrimary: true },
  });

  const [s9, s10, s11] = await slotsOn(ctx, speech.id, day);
  const session = await bookAppointment(ctx, { patientId: aarav.id, serviceId: speechService.id, slotId: s9!.id });
  const diyaSession = await bookAppointment(ctx, { patientId: diya.id, serviceId: speechService.id, slotId: s10!.id });
  const cancelled = await bookAppointment(ctx, { patientId: aarav.id, serviceId: speechService.id, slotId: s11!.id });
  await cancelAppointment(ctx, { appointmentId: cancelled.id, reason: `${AARAV.name} has fever, call 98444 55566`, clinicInitiated: true });
  clock.set(`${day}T12:00:00Z`);
  await completeAppointment(ctx, { appointmentId: session.id });
  await completeAppointment(ctx, { appointmentId: diyaSession.id });
  await addSessionNotes(ctx, { appointmentId: session.id, observations: `${AARAV.name} said /s/ well`, homework: 'Five words daily' });

  const payment = await recordManualPayment(ctx, { appointmentId: session.id, amountPaise: 100000, method: 'cash', note: `Paid by ${RAKESH.name}` });
  const diyaPayment = await recordManualPayment(ctx, { appointmentId: diyaSession.id, amountPaise: 100000, method: 'cash' });
  const refund = await refundPayment(ctx, { paymentReference: payment.reference, amountPaise: 20000, reason: `Session cut short, ${AARAV.name} was tired` });

  await newAssessment(ctx, {
    patientId: aarav.id,
    therapistId: speech.id,
    kind: 'initial',
    templateCode: 'ot-sensory-profile-summary',
    data: { seeking: 'more', avoiding: 'just_like', sensitivity: 'much_more', registration: 'less' },
    summary: `${AARAV.name} seeks movement`,
  });
  const goal = await addGoal(ctx, { patientId: aarav.id, therapistId: speech.id, description: `${AARAV.name} says /s/ in words`, baseline: 20, target: 80 });
  await measureGoal(ctx, { goalId: goal.id, value: 45, note: `Mother ${SUNITA.name} watched` });

  const letter = pdf('letter from school to the family');
  const report = await addDocument(ctx, { patientId: aarav.id, bytes: pdf('speech report'), originalName: `${AARAV.name} report.pdf`, docType: 'report' });
  const aaravLetter = await addDocument(ctx, { patientId: aarav.id, bytes: letter, originalName: 'school letter.pdf', docType: 'other' });
  const diyaLetter = await addDocument(ctx, { patientId: diya.id, bytes: letter, originalName: 'school letter.pdf', docType: 'other' });
  await grantConsent(ctx, { patientId: aarav.id, purpose: 'messaging', guardianId: sunita.id, channel: 'paper' });
  await grantConsent(ctx, { patientId: diya.id, purpose: 'messaging', guardianId: sunita.id, channel: 'paper' });

  // The father's own chat, and the mother's (who asks about both children).
  const db = clinic.database.db;
  const fatherChat = await db
    .insertInto('bot_conversations')
    .values({ channel: 'telegram', chat_id: '70001', guardian_id: rakesh.id, state: JSON.stringify({ step: 'menu', name: RAKESH.name }) })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('inbox_messages')
    .values({ conversation_id: fatherChat.id, direction: 'in', body: `This is ${RAKESH.name}, call me on ${RAKESH.phone}` })
    .execute();
  const motherChat = await db
    .insertInto('bot_conversations')
    .values({ channel: 'telegram', chat_id: '70002', guardian_id: sunita.id, state: JSON.stringify({ step: 'menu', child: AARAV.name }) })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('inbox_messages')
    .values({ conversation_id: motherChat.id, direction: 'in', body: `Can ${AARAV.name} and ${DIYA.name} come together?` })
    .execute();

  await db.updateTable('payments').set({ razorpay_payment_id: 'pay_GuptaTest0001' }).where('reference', '=', payment.reference).execute();
  await db
    .insertInto('webhook_events')
    .values({
      provider: 'razorpay',
      event_id: 'evt_gupta_1',
      event_type: 'payment.captured',
      payload: JSON.stringify({
        payload: { payment: { entity: { id: 'pay_GuptaTest0001', contact: AARAV.phone, email: AARAV.email, notes: { patient: AARAV.name } } } },
      }),
    })
    .execute();
  // An entry from before the rule "ids only" was kept everywhere.
  await recordAudit(ctx, {
    action: 'patient.note',
    entity: 'patient',
    entityId: aarav.id,
    patientId: aarav.id,
    meta: { said: `spoke to ${AARAV.name} at ${AARAV.phone}` },
  });

  // Signed in as `as`; by default as Anita, the admin (where the clinic's own work was once done as the system).
  const roshni = async (argv: string[], as = 'anita') => runCli(argv, { ...(await clinic.envOf(as)), ROSHNI_HOME: home });
  return {
    ...clinic,
    ctx,
    home,
    documentsDir,
    roshni,
    aarav,
    diya,
    sunita,
    rakesh,
    payments: { aarav: payment, diya: diyaPayment, refund },
    documents: { report, aaravLetter, diyaLetter },
  };
}
