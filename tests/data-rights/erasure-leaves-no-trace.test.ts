import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordManualPayment } from '../../src/domain/billing/record-manual-payment.js';
import { refundPayment } from '../../src/domain/billing/refund-payment.js';
import { startUpiPayment } from '../../src/domain/billing/upi-payments.js';
import { waiveCharge } from '../../src/domain/billing/waive-charge.js';
import { newAssessment } from '../../src/domain/clinical/assessments.js';
import { addGoal, measureGoal } from '../../src/domain/clinical/goals.js';
import { addSessionNotes } from '../../src/domain/clinical/session-notes.js';
import type { DomainContext } from '../../src/domain/context.js';
import { addDocument } from '../../src/domain/documents/documents.js';
import { holdPendingDocument } from '../../src/domain/documents/pending-chat-documents.js';
import { replyInInbox } from '../../src/domain/messaging/inbox.js';
import { addGuardian } from '../../src/domain/people/guardians.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { addStaffUser } from '../../src/domain/people/staff.js';
import { completeAppointment, markNoShow } from '../../src/domain/scheduling/attendance.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { cancelAppointment } from '../../src/domain/scheduling/cancel-appointment.js';
import { addToWaitlist } from '../../src/domain/scheduling/waitlist.js';
import { offerFreedSlot } from '../../src/domain/scheduling/waitlist-offers.js';
import { addDays } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { FileDocumentStore } from '../../src/infra/storage/file-document-store.js';
import { runCli } from '../support/cli.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { staffEnvironments } from '../support/staff-sessions.js';
import { pdf } from '../documents/sample-files.js';

// A family exercising the right to erasure (DPDP Act 2023, s.12). Aarohi's identifiers are written,
// the way people write them, into every free-text column and file staff or a chat can fill; after
// `roshni patient erase`, a data-only pg_dump and every file under ROSHNI_HOME are searched for each.
// Her mother Neha is kept (Tanvi, Aarohi's sister, is still in care): Neha's chat loses Aarohi and
// keeps Tanvi. Her father Sameer is linked to Aarohi only, and goes with her.

const AAROHI = {
  name: 'Aarohi Kulkarni',
  first: 'Aarohi',
  phone: '+919731148826',
  email: 'aarohi.kulkarni@example.in',
  dateOfBirth: '2018-11-02',
  phones: ['+91 97311 48826', '9731148826', '09731148826', '0973 114 8826', '(973) 114-8826', '97311-48826', '+919731148826', '91 97311 48826'],
  dates: ['02/11/2018', '2/11/18', '2018-11-02', '2 Nov 2018'],
};
const SAMEER = {
  name: 'Sameer Kulkarni',
  first: 'Sameer',
  phone: '+919900011223',
  email: 'sameer.k@example.in',
  phones: ['099000 11223', '+91 99000-11223', '9900011223'],
};
const NEHA = { name: 'Neha Kulkarni', phone: '+919845012345' };
const TANVI = { name: 'Tanvi Kulkarni', dateOfBirth: '2021-03-15' };

/** Everything about Aarohi, as a note would have it (under 300 characters, the shortest limit). */
const ABOUT_AAROHI = `${AAROHI.name} (${AAROHI.first}), tel ${AAROHI.phones.join(' / ')}, ${AAROHI.email}, DOB ${AAROHI.dates.join('; ')}`;
const ABOUT_SAMEER = `father ${SAMEER.name} (${SAMEER.first}) on ${SAMEER.phones.join(', ')} or ${SAMEER.email}`;
const BOTH = `${ABOUT_AAROHI}; ${ABOUT_SAMEER}`;

/** Each identifier that must be gone, as it would be found written. */
const GONE = [AAROHI.name, AAROHI.first, AAROHI.email, ...AAROHI.phones, ...AAROHI.dates, SAMEER.name, SAMEER.first, SAMEER.email, ...SAMEER.phones];

const CLOCK = '2027-03-01T00:00:00Z'; // a Monday, 05:30 in the clinic
const pgDump = '/usr/lib/postgresql/15/bin/pg_dump';

describe('an erasure leaves no trace of the person, however their details were written', () => {
  let database: TestDatabase;
  let home: string;
  let ctx: DomainContext;
  let roshni: (argv: string[]) => ReturnType<typeof runCli>;
  let family: { aarohi: { id: number; patient_number: string }; tanvi: { id: number }; other: { id: number }; nehaChat: number; offerSlot: number };

  beforeAll(async () => {
    database = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'roshni-erasure-'));
    const clock = fixedClock(CLOCK);
    ctx = { ...systemContext(database.db, clock), documentStore: new FileDocumentStore(join(home, 'documents'), 25 * 1024 * 1024) };
    const clinic = await seedClinic(ctx, { patients: 1, days: 10 });
    await addStaffUser(ctx, { username: 'anita', fullName: 'Staff anita', role: 'admin' });
    const signedIn = staffEnvironments(database.db, { DATABASE_URL: database.url });
    roshni = async (argv) => runCli(argv, { ...(await signedIn('anita')), ROSHNI_HOME: home }, { clock });

    const neha = await addGuardian(ctx, { fullName: NEHA.name, phone: NEHA.phone });
    const sameer = await addGuardian(ctx, { fullName: SAMEER.name, phone: SAMEER.phone, email: SAMEER.email });
    const aarohi = await addPatient(ctx, {
      fullName: AAROHI.name,
      dateOfBirth: AAROHI.dateOfBirth,
      phone: AAROHI.phone,
      email: AAROHI.email,
      withGuardian: { guardianId: neha.id, relationship: 'mother', isPrimary: true },
    });
    await database.db.insertInto('patient_guardians').values({ patient_id: aarohi.id, guardian_id: sameer.id, relationship: 'father' }).execute();
    const tanvi = await addPatient(ctx, {
      fullName: TANVI.name,
      dateOfBirth: TANVI.dateOfBirth,
      withGuardian: { guardianId: neha.id, relationship: 'mother', isPrimary: true },
    });

    // Sessions today: one attended (notes, payment, refund), one missed, one cancelled, one let off.
    const today = '2027-03-01';
    const [s9, s10, s11, s12] = await slotsOn(ctx, clinic.speech.id, today);
    const service = clinic.speechService.id;
    const attended = await bookAppointment(ctx, { patientId: aarohi.id, serviceId: service, slotId: s9!.id });
    const missed = await bookAppointment(ctx, { patientId: aarohi.id, serviceId: service, slotId: s10!.id });
    const cancelled = await bookAppointment(ctx, { patientId: aarohi.id, serviceId: service, slotId: s11!.id });
    const letOff = await bookAppointment(ctx, { patientId: aarohi.id, serviceId: service, slotId: s12!.id });
    await cancelAppointment(ctx, { appointmentId: cancelled.id, reason: ABOUT_AAROHI, clinicInitiated: true });
    clock.set('2027-03-01T07:00:00Z');
    await completeAppointment(ctx, { appointmentId: attended.id });
    await markNoShow(ctx, { appointmentId: missed.id });
    clock.set('2027-03-01T08:00:00Z');
    await completeAppointment(ctx, { appointmentId: letOff.id });
    await waiveCharge(ctx, { appointmentId: letOff.id, reason: BOTH });
    await addSessionNotes(ctx, { appointmentId: attended.id, observations: BOTH, homework: ABOUT_AAROHI, patientResponse: ABOUT_AAROHI });
    const payment = await recordManualPayment(ctx, { appointmentId: attended.id, amountPaise: 50000, method: 'cash', note: BOTH });
    await refundPayment(ctx, { paymentReference: payment.reference, amountPaise: 10000, reason: BOTH });
    // A payment request nobody has paid yet, for the rest.
    await startUpiPayment(ctx, { appointmentId: attended.id });

    const assessment = { seeking: 'more', avoiding: 'just_like', sensitivity: 'much_more', registration: 'less' };
    await newAssessment(ctx, {
      patientId: aarohi.id,
      therapistId: clinic.speech.id,
      kind: 'initial',
      templateCode: 'ot-sensory-profile-summary',
      data: assessment,
      summary: BOTH,
    });
    const goal = await addGoal(ctx, { patientId: aarohi.id, therapistId: clinic.speech.id, description: ABOUT_AAROHI, baseline: 10, target: 80 });
    await measureGoal(ctx, { goalId: goal.id, value: 30, note: ABOUT_AAROHI });
    await addDocument(ctx, {
      patientId: aarohi.id,
      bytes: pdf(BOTH),
      originalName: `${AAROHI.name} ${AAROHI.dates[0]!.replace(/\//g, '-')}.pdf`,
      docType: 'report',
    });

    // The family's chats: Aarohi's own, her father's (both go), her mother's (kept, about both girls).
    const chat = (values: { chat_id: string; patient_id?: number; guardian_id?: number; state: unknown }) =>
      database.db
        .insertInto('bot_conversations')
        .values({ channel: 'telegram', ...values, state: JSON.stringify(values.state) })
        .returning('id')
        .executeTakeFirstOrThrow();
    const own = await chat({ chat_id: '81001', patient_id: aarohi.id, state: { step: 'menu', said: BOTH } });
    const father = await chat({ chat_id: '81002', guardian_id: sameer.id, state: { step: 'menu', said: ABOUT_SAMEER } });
    const mother = await chat({ chat_id: '81003', guardian_id: neha.id, state: { step: 'documents.whose', child: AAROHI.first, sister: TANVI.name } });
    for (const conversation of [own, father])
      await database.db.insertInto('inbox_messages').values({ conversation_id: conversation.id, direction: 'in', body: BOTH }).execute();
    // A message from each of those two chats that the Telegram bot still had in hand (a crash left it).
    for (const [updateId, chatId] of [
      [5001, 81001],
      [5002, 81002],
    ] as const)
      await database.db
        .insertInto('updates_in_hand')
        .values({
          channel: 'telegram',
          bot_id: 1000,
          update_id: updateId,
          chat_id: String(chatId),
          update: JSON.stringify({ update_id: updateId, message: { chat: { id: chatId, type: 'private' }, text: BOTH } }),
          taken_at: new Date('2026-12-01T10:00:00Z'),
        })
        .execute();
    const nehaSays = [
      `${AAROHI.first} has fever today, ${TANVI.name} is fine`,
      `${AAROHI.first}'s DOB is ${AAROHI.dates[0]}, mine is on file; call me or ${AAROHI.phones[3]}`,
      `${TANVI.name.split(' ')[0]} will come alone on Friday. ${SAMEER.first} is travelling (${SAMEER.phones[1]})`,
    ];
    for (const body of nehaSays) await database.db.insertInto('inbox_messages').values({ conversation_id: mother.id, direction: 'in', body }).execute();
    await replyInInbox(ctx, { conversationId: mother.id, body: `Get well soon ${AAROHI.first}! ${TANVI.name.split(' ')[0]}'s slot is kept.` });
    await holdPendingDocument(ctx, mother.id, { bytes: pdf(ABOUT_AAROHI), name: `${AAROHI.first} school report.pdf` });

    // Aarohi waits for a place; a freed place is offered (to Neha) before the erasure.
    const later = addDays(today, 3);
    const other = clinic.patients[0]!;
    await addToWaitlist(ctx, { patientId: aarohi.id, serviceId: service, from: today, to: later, note: ABOUT_AAROHI });
    await addToWaitlist(ctx, { patientId: other.id, serviceId: service, from: today, to: later });
    const [place] = await slotsOn(ctx, clinic.speech.id, later);
    const offered = await offerFreedSlot(ctx, place!.id);
    expect(offered?.patientId).toBe(aarohi.id);

    family = { aarohi, tanvi, other, nehaChat: mother.id, offerSlot: place!.id };
  }, 120_000);

  afterAll(async () => {
    await database?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('withdraws what was pending, keeps the P-number for the audit, and leaves no identifier in the database or the files', async () => {
    const { db } = database;
    const offerMessages = () =>
      db.selectFrom('notifications').select(['state', 'payload', 'last_error']).where('kind', '=', 'waitlist_offer').orderBy('id').execute();
    expect((await offerMessages()).map((m) => m.state)).toEqual(['pending']);
    expect(await scan()).toEqual(expect.arrayContaining(GONE));
    // The desk sees whom the offer is about and who hears it, by P-number and role only.
    const outbox = await roshni(['notifications', 'list', '--state', 'pending']);
    expect(outbox.stdout).toMatch(new RegExp(`waitlist_offer\\s+pending\\s+\\S*\\s*${family.aarohi.patient_number}\\s+guardian \\(mother\\)`));
    expect(outbox.stdout).not.toMatch(/Aarohi|Neha|\+91/);

    const done = await roshni(['patient', 'erase', family.aarohi.patient_number, '--reason', `Request by ${NEHA.name}, ${AAROHI.phones[0]}`, '--yes']);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`Erased ${family.aarohi.patient_number}`);
    expect(done.stdout).toMatch(/Withdrawn: \d+ message\(s\) not sent, 1 waitlist offer\(s\), 1 waitlist entr\(ies\), 1 payment request\(s\)\./);

    // Pending things about her: withdrawn, and the place goes to the next in line.
    const [withdrawnOffer, nextOffer] = await db
      .selectFrom('waitlist_offers as o')
      .innerJoin('waitlist_entries as e', 'e.id', 'o.entry_id')
      .select(['o.status', 'e.patient_id'])
      .where('o.slot_id', '=', family.offerSlot)
      .orderBy('o.id')
      .execute();
    expect(withdrawnOffer).toEqual({ status: 'withdrawn', patient_id: family.aarohi.id });
    expect(nextOffer).toEqual({ status: 'pending', patient_id: family.other.id });
    const [toNeha] = await offerMessages();
    expect(toNeha).toMatchObject({ state: 'cancelled', payload: {}, last_error: 'patient erased' });
    expect(await db.selectFrom('notifications').select('id').where('about_patient_id', '=', family.aarohi.id).where('state', '=', 'pending').execute()).toEqual(
      [],
    );
    expect(await db.selectFrom('payments').select('state').where('patient_id', '=', family.aarohi.id).where('method', '=', 'upi').execute()).toEqual([
      { state: 'cancelled' },
    ]);
    const offers = await roshni(['waitlist', 'offers', '--json']);
    expect(JSON.parse(offers.stdout).map((o: { patientId: number }) => o.patientId)).not.toContain(family.aarohi.id);

    // The audit of an erased patient is still found by the P-number, the erasure among it.
    const audit = await roshni(['audit', '--patient', family.aarohi.patient_number, '--json']);
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.stdout).map((l: { action: string }) => l.action)).toContain('patient.erase');

    // Nothing left of Aarohi or Sameer, in any format; Neha's chat keeps Tanvi and Neha.
    expect(await scan()).toEqual([]);
    expect(await db.selectFrom('updates_in_hand').select('update_id').execute()).toEqual([]);
    const nehaChat = await db.selectFrom('inbox_messages').select('body').where('conversation_id', '=', family.nehaChat).orderBy('id').execute();
    expect(nehaChat.map((m) => m.body)).toEqual([
      `[erased] has fever today, ${TANVI.name} is fine`,
      `[erased]'s DOB is [erased], mine is on file; call me or [erased]`,
      `Tanvi will come alone on Friday. [erased] is travelling ([erased])`,
      `Get well soon [erased]! Tanvi's slot is kept.`,
    ]);
    const state = await db.selectFrom('bot_conversations').select('state').where('id', '=', family.nehaChat).executeTakeFirstOrThrow();
    expect(state.state).toEqual({ step: 'documents.whose', child: '[erased]', sister: TANVI.name });
    expect(await db.selectFrom('pending_chat_documents').select('id').where('conversation_id', '=', family.nehaChat).execute()).toEqual([]);
    expect(await db.selectFrom('guardians').select('full_name').where('full_name', '=', NEHA.name).execute()).toHaveLength(1);
  });

  /** Which of the identifiers (and Tanvi, who must stay) a data-only dump and the files under ROSHNI_HOME hold. */
  async function scan(): Promise<string[]> {
    const { stdout } = await promisify(execFile)(pgDump, ['--data-only', '--no-owner', '--dbname', database.url], { maxBuffer: 256 * 1024 * 1024 });
    expect(stdout).toContain(TANVI.name);
    const texts = [stdout, ...filesUnder(home).map((file) => readFileSync(file).toString('latin1'))];
    return GONE.filter((identifier) => texts.some((text) => text.toLowerCase().includes(identifier.toLowerCase())));
  }
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
