import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { erasePatient } from '../../src/domain/data-rights/erase.js';
import { sha256Of } from '../../src/domain/documents/document-store.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { clinicDate } from '../../src/domain/time.js';
import { fixedClock } from '../../src/infra/clock.js';
import { slotsOn } from '../support/clinic.js';
import { AARAV, DIYA, openGuptaClinic, RAKESH, SUNITA } from './gupta-family.js';

const blobPath = (dir: string, sha: string) => join(dir, sha.slice(0, 2), sha.slice(2));

describe("a patient's data rights: export and erasure", () => {
  // Each test opens the Guptas' clinic of its own: the erasure must not take Aarav from the others.
  let clinic: Awaited<ReturnType<typeof openGuptaClinic>>;
  beforeEach(async () => {
    clinic = await openGuptaClinic();
  });
  afterEach(async () => {
    await clinic?.close();
    rmSync(clinic.home, { recursive: true, force: true });
  });

  /** Where any of these strings occurs in any text, varchar, json(b) or array column of any table. */
  async function occurrences(needles: string[]) {
    const { rows: columns } = await sql<{ table_name: string; column_name: string }>`
      SELECT c.table_name, c.column_name FROM information_schema.columns c
      JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')`.execute(
      clinic.database.db,
    );
    expect(columns.length).toBeGreaterThan(100);
    const found: string[] = [];
    for (const { table_name, column_name } of columns) {
      for (const needle of needles) {
        const { rows } = await sql<{
          n: string;
        }>`SELECT count(*) AS n FROM ${sql.table(table_name)} WHERE ${sql.ref(column_name)}::text ILIKE ${`%${needle}%`}`.execute(clinic.database.db);
        if (Number(rows[0]!.n)) found.push(`${table_name}.${column_name}: ${needle}`);
      }
    }
    return found;
  }

  it('exports everything about the patient as a zip with a manifest, and nothing of the sister', async () => {
    const out = join(clinic.home, 'aarav.zip');
    const refused = await clinic.roshni(['patient', 'export', clinic.aarav.patient_number, '--out', out], 'desk');
    expect(refused.code).toBe(5);
    expect(existsSync(out)).toBe(false);
    // A folder that does not exist: refused before the export, which is not audited as done.
    const nowhere = join(clinic.home, 'no-such-folder', 'aarav.zip');
    const missing = await clinic.roshni(['patient', 'export', clinic.aarav.patient_number, '--out', nowhere], 'anita');
    expect(missing.stderr).toContain(`Cannot write ${nowhere}: its folder does not exist.`);
    expect(missing.code).toBe(2);
    expect(await clinic.database.db.selectFrom('audit_log').select('id').where('action', '=', 'patient.export').where('outcome', '=', 'ok').execute()).toEqual(
      [],
    );

    const done = await clinic.roshni(['patient', 'export', clinic.aarav.patient_number, '--out', out], 'anita');
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`Wrote ${clinic.aarav.patient_number}'s data to ${out}`);
    const files = unzipSync(readFileSync(out));
    const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
    expect(manifest).toMatchObject({ format: 'roshni-patient-export', patient: { id: clinic.aarav.id, patientNumber: clinic.aarav.patient_number } });
    const listed = manifest.files.map((f: { path: string }) => f.path).sort();
    expect(listed).toEqual(
      Object.keys(files)
        .filter((p) => p !== 'manifest.json')
        .sort(),
    );
    for (const f of manifest.files) expect(createHash('sha256').update(files[f.path]!).digest('hex'), f.path).toBe(f.sha256);

    const data = (name: string) => JSON.parse(new TextDecoder().decode(files[`data/${name}.json`]));
    expect(data('profile')).toMatchObject({ full_name: AARAV.name, phone: AARAV.phone, email: AARAV.email });
    expect(
      data('guardians')
        .map((g: { full_name: string }) => g.full_name)
        .sort(),
    ).toEqual([RAKESH.name, SUNITA.name]);
    expect(data('appointments')).toHaveLength(2);
    expect(data('payments').map((p: { reference: string; amount_paise: number }) => [p.reference, p.amount_paise])).toEqual([
      [clinic.payments.aarav.reference, 100000],
    ]);
    expect(data('refunds')).toHaveLength(1);
    expect(
      data('receipts')
        .map((r: { kind: string }) => r.kind)
        .sort(),
    ).toEqual(['credit_note', 'receipt']);
    expect(data('session-notes')[0].observations).toBe(`${AARAV.name} said /s/ well`);
    expect(data('assessments')[0].data).toMatchObject({ seeking: 'more' });
    expect(data('goals')).toHaveLength(1);
    expect(data('goal-measurements')[0].value).toBe(45);
    expect(data('consents').map((c: { purpose: string }) => c.purpose)).toEqual(['messaging']);
    expect(data('documents')).toHaveLength(2);
    expect(data('audit').length).toBeGreaterThan(5);
    const report = files[`documents/${clinic.documents.report.id}.pdf`]!;
    expect(sha256Of(report)).toBe(clinic.documents.report.sha256);
    expect(Object.keys(files).filter((p) => p.startsWith('documents/'))).toHaveLength(2);

    const everything = Object.values(files)
      .map((bytes) => Buffer.from(bytes).toString('latin1'))
      .join('\n');
    for (const sister of [DIYA.name, 'Diya', clinic.diya.patient_number, clinic.payments.diya.reference]) expect(everything, sister).not.toContain(sister);

    const audited = await clinic.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'patient.export').where('outcome', '=', 'ok').execute();
    expect(audited).toMatchObject([{ outcome: 'ok', patient_id: clinic.aarav.id, actor_role: 'admin' }]);
    expect(JSON.stringify(audited)).not.toContain(AARAV.name);
  });

  it('refuses to erase without a reason and a confirmation, or as a receptionist, and changes nothing', async () => {
    const ref = clinic.aarav.patient_number;
    expect((await clinic.roshni(['patient', 'erase', ref, '--yes'], 'anita')).stderr).toContain('--reason is required');
    const unconfirmed = await clinic.roshni(['patient', 'erase', ref, '--reason', 'Request by parents'], 'anita');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('add --yes to confirm');
    expect((await clinic.roshni(['patient', 'erase', ref, '--reason', 'Request by parents', '--yes'], 'desk')).code).toBe(5);
    const row = await clinic.database.db.selectFrom('patients').select(['full_name', 'erased_at']).where('id', '=', clinic.aarav.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ full_name: AARAV.name, erased_at: null });
  });

  it('erases the patient: no name, phone or email left in any column of any table; the books stay', async () => {
    const ref = clinic.aarav.patient_number;
    const before = await occurrences([AARAV.name, AARAV.phone, AARAV.email]);
    expect(before.length).toBeGreaterThan(5);

    const erased = await clinic.roshni(['patient', 'erase', ref, '--reason', 'Request by both parents (DPDP s.12)', '--yes', '--json'], 'anita');
    expect(erased.stderr).toBe('');
    expect(erased.code).toBe(0);
    expect(JSON.parse(erased.stdout)).toMatchObject({
      guardiansErased: [clinic.rakesh.id],
      guardiansKept: [clinic.sunita.id],
      documents: 2,
      contentsDeleted: 1,
      chats: 1,
    });

    expect(
      await occurrences([AARAV.name, AARAV.phone, AARAV.national, AARAV.email, 'Aarav', RAKESH.name, RAKESH.phone, RAKESH.national, RAKESH.email]),
    ).toEqual([]);

    // The books: payments, the refund and both receipts, with their amounts and numbers.
    const db = clinic.database.db;
    const payments = await db.selectFrom('payments').select(['reference', 'amount_paise', 'state']).where('patient_id', '=', clinic.aarav.id).execute();
    expect(payments).toEqual([{ reference: clinic.payments.aarav.reference, amount_paise: 100000, state: 'completed' }]);
    const refunds = await db
      .selectFrom('refunds')
      .select(['reference', 'amount_paise', 'reason'])
      .where('reference', '=', clinic.payments.refund.reference)
      .execute();
    expect(refunds).toEqual([{ reference: clinic.payments.refund.reference, amount_paise: 20000, reason: 'Session cut short, [erased] was tired' }]);
    const receipts = await db.selectFrom('receipts').select(['receipt_number', 'amount_paise', 'snapshot']).orderBy('id').execute();
    const own = receipts.filter((r) => (r.snapshot as { patient: { number: string } }).patient.number === ref);
    expect(own.map((r) => r.amount_paise)).toEqual([100000, 20000]);
    expect(own.map((r) => (r.snapshot as { patient: { name: string } }).patient.name)).toEqual(['Erased patient', 'Erased patient']);
    expect((await clinic.roshni(['receipt', own[0]!.receipt_number], 'anita')).code).toBe(0);

    // The sister, her mother and her documents are untouched.
    const diya = await db.selectFrom('patients').select(['full_name', 'erased_at']).where('id', '=', clinic.diya.id).executeTakeFirstOrThrow();
    expect(diya).toEqual({ full_name: DIYA.name, erased_at: null });
    const sunita = await db
      .selectFrom('guardians')
      .select(['full_name', 'phone', 'email', 'erased_at'])
      .where('id', '=', clinic.sunita.id)
      .executeTakeFirstOrThrow();
    expect(sunita).toEqual({ full_name: SUNITA.name, phone: SUNITA.phone, email: SUNITA.email, erased_at: null });
    const motherChat = await db
      .selectFrom('inbox_messages as m')
      .innerJoin('bot_conversations as c', 'c.id', 'm.conversation_id')
      .select('m.body')
      .where('c.guardian_id', '=', clinic.sunita.id)
      .execute();
    expect(motherChat).toEqual([{ body: `Can [erased] and ${DIYA.name} come together?` }]);
    expect(existsSync(blobPath(clinic.documentsDir, clinic.documents.diyaLetter.sha256))).toBe(true);
    expect(existsSync(blobPath(clinic.documentsDir, clinic.documents.report.sha256))).toBe(false);
    expect(await db.selectFrom('consents').select('withdrawn_at').where('patient_id', '=', clinic.diya.id).executeTakeFirstOrThrow()).toEqual({
      withdrawn_at: null,
    });

    // Clinical text and data are gone; the rows say only that they were there.
    expect(
      await db.selectFrom('therapy_sessions').select(['observations', 'homework', 'attendance']).where('patient_id', '=', clinic.aarav.id).execute(),
    ).toEqual([{ observations: null, homework: null, attendance: 'present' }]);
    expect(await db.selectFrom('assessments').select('data').where('patient_id', '=', clinic.aarav.id).execute()).toEqual([{ data: {} }]);
    expect(
      await db.selectFrom('consents').select('withdrawn_at').where('patient_id', '=', clinic.aarav.id).where('withdrawn_at', 'is', null).execute(),
    ).toEqual([]);

    // Audited, with the reason; the patient is found no more.
    const entry = await db.selectFrom('audit_log').selectAll().where('action', '=', 'patient.erase').where('outcome', '=', 'ok').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ patient_id: clinic.aarav.id, actor_role: 'admin', outcome: 'ok' });
    expect(entry.meta).toMatchObject({ reason: 'Request by both parents (DPDP s.12)' });
    expect((await clinic.roshni(['patient', 'show', ref], 'anita')).code).toBe(3);
    expect((await clinic.roshni(['patient', 'find', 'Gupta', '--json'], 'anita')).stdout).not.toContain(ref);
  });

  it('keeps the audit log append-only outside an erasure', async () => {
    await expect(sql`UPDATE audit_log SET meta = '{}' WHERE patient_id = ${clinic.diya.id}`.execute(clinic.database.db)).rejects.toThrow(
      'audit_log is append-only',
    );
    await expect(sql`DELETE FROM audit_log WHERE patient_id = ${clinic.aarav.id}`.execute(clinic.database.db)).rejects.toThrow('append-only');
  });

  it('refuses to erase a patient with appointments still to come', async () => {
    // Three weeks ago, Diya's next session (12:00 that day) was still to come.
    const { ctx } = clinic;
    const day = clinicDate(
      await clinic.database.db
        .selectFrom('appointments')
        .select('starts_at')
        .where('patient_id', '=', clinic.diya.id)
        .executeTakeFirstOrThrow()
        .then((a) => a.starts_at),
      ctx.timezone,
    );
    const then = { ...ctx, clock: fixedClock(`${day}T00:00:00Z`) };
    const [, , , noon] = await slotsOn(then, clinic.clinic.speech.id, day);
    const next = await bookAppointment(then, { patientId: clinic.diya.id, serviceId: clinic.clinic.speechService.id, slotId: noon!.id });
    await expect(erasePatient(then, { patientId: clinic.diya.id, reason: 'Moving away' })).rejects.toThrow(
      `has upcoming appointments (${next.appointmentNumber})`,
    );
    const diya = await clinic.database.db.selectFrom('patients').select('erased_at').where('id', '=', clinic.diya.id).executeTakeFirstOrThrow();
    expect(diya.erased_at).toBeNull();
  });
});
