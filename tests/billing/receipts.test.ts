import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amountInWords } from '../../src/domain/billing/receipt-render.js';
import { issueCreditNote } from '../../src/domain/billing/receipts.js';
import { saveClinicSettings } from '../../src/domain/clinic/settings.js';
import { addPatient } from '../../src/domain/people/patients.js';
import { requireServiceByCode } from '../../src/domain/scheduling/services.js';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { addClinicAdmin, signedInCli } from '../support/billing-staff.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('the amount in words, in the Indian system', () => {
  it.each([
    [50, 'Fifty Paise Only'],
    [100, 'Rupees One Only'],
    [110, 'Rupees One and Ten Paise Only'],
    [85_000, 'Rupees Eight Hundred and Fifty Only'],
    [101_100, 'Rupees One Thousand and Eleven Only'],
    [125_050, 'Rupees One Thousand Two Hundred and Fifty and Fifty Paise Only'],
    [10_000_000, 'Rupees One Lakh Only'],
    [10_000_500, 'Rupees One Lakh and Five Only'],
    [123_456_700, 'Rupees Twelve Lakh Thirty Four Thousand Five Hundred and Sixty Seven Only'],
    [999_999_999, 'Rupees Ninety Nine Lakh Ninety Nine Thousand Nine Hundred and Ninety Nine and Ninety Nine Paise Only'],
    [2_500_000_000, 'Rupees Two Crore Fifty Lakh Only'],
    [120_000_000_000, 'Rupees One Hundred and Twenty Crore Only'],
    [1_200_000_000_000, 'Rupees One Thousand Two Hundred Crore Only'],
  ])('%i paise → %s', (paise, words) => {
    expect(amountInWords(paise)).toBe(words);
  });
});

describe('receipts and credit notes, printed from what was frozen when they were issued', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let folder: string;
  const ctx = () => systemContext(database.db);
  let staff: ReturnType<typeof signedInCli>;
  /** The CLI signed in as the clinic's admin, or as `as`. */
  const roshni = (argv: string[], as?: string) => staff.roshni(argv, env, as);
  /** A text receipt with each wrapped value joined back onto one line. */
  const printed = async (argv: string[]) => {
    const result = await roshni(argv);
    return { ...result, stdout: result.stdout.replace(/\n {18}(?=\S)/g, ' ') };
  };
  const tomorrow = addDays(clinicDate(new Date(), 'Asia/Kolkata'), 1);
  const hostile = '<script>alert("pwned")</script> & Sons';
  let assessment: { appointmentNumber: string; reference: string };
  let cheap: { appointmentNumber: string; reference: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    env = { DATABASE_URL: database.url };
    folder = mkdtempSync(join(tmpdir(), 'roshni-receipts-'));
    const clinic = await seedClinic(ctx(), { patients: 1 });
    await addClinicAdmin(database.db);
    staff = signedInCli(database.db);
    await saveClinicSettings(ctx(), {
      name: 'Sunrise Child Therapy',
      address: '12 MG Road, Indiranagar\nBengaluru 560038',
      phone: '080 4123 4567',
      gstin: '29abcde1234f1z5',
      receiptPrefix: 'sun',
    });
    const patient = await addPatient(ctx(), { fullName: hostile });
    const [first, second] = await slotsOn(ctx(), clinic.speech.id, tomorrow);
    const service = await requireServiceByCode(ctx(), 'initial-assessment');
    const visit = await bookAppointment(ctx(), { patientId: patient.id, serviceId: service.id, slotId: first!.id });
    const paid = await roshni(['pay', 'upi', visit.appointmentNumber, '--amount', '1,250.50', '--utr', '432109876543', '--json']);
    expect(paid.code).toBe(0);
    assessment = { appointmentNumber: visit.appointmentNumber, reference: JSON.parse(paid.stdout).reference };

    // The clinic gives up its GST registration: receipts issued from now on carry no GSTIN.
    await database.db.updateTable('clinic_settings').set({ gstin: null }).execute();
    const small = await bookAppointment(ctx(), { patientId: clinic.patients[0]!.id, serviceId: clinic.speechService.id, slotId: second!.id });
    const cash = await roshni(['pay', 'cash', small.appointmentNumber, '--amount', '0.50', '--json']);
    expect(cash.code).toBe(0);
    cheap = { appointmentNumber: small.appointmentNumber, reference: JSON.parse(cash.stdout).reference };
    for (const [username, role] of [
      ['ravi.desk', 'receptionist'],
      ['tara.slp', 'therapist'],
    ]) {
      expect(
        (
          await staff.roshni(
            ['staff', 'add', '--username', username!, '--name', `Staff ${username}`, '--role', role!, '--password-stdin'],
            env,
            undefined,
            'a staff password\n',
          )
        ).code,
      ).toBe(0);
    }
  });
  afterAll(async () => {
    rmSync(folder, { recursive: true, force: true });
    await database?.close();
  });

  it("numbers receipts with the clinic's prefix from a sequence, one per completed payment", async () => {
    const receipts = await database.db.selectFrom('receipts').select(['receipt_number', 'payment_id']).where('kind', '=', 'receipt').orderBy('id').execute();
    expect(receipts.map((r) => r.receipt_number)).toEqual(['SUN-000001', 'SUN-000002']);
    expect(new Set(receipts.map((r) => r.payment_id)).size).toBe(2);
  });

  it('prints a plain-text receipt with the clinic, GSTIN, patient, service, amount in figures and words, method and references', async () => {
    const { code, stdout, stderr } = await printed(['receipt', 'sun-000001']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = (await roshni(['receipt', 'sun-000001'])).stdout.split('\n');
    expect(lines[0]!.trim()).toBe('Sunrise Child Therapy');
    for (const expected of ['12 MG Road, Indiranagar', 'Bengaluru 560038', '+91 80 4123 4567', 'GSTIN 29ABCDE1234F1Z5', 'RECEIPT']) {
      expect(lines.some((l) => l.trim() === expected)).toBe(true);
    }
    expect(stdout).toMatch(/Receipt no\.\s+SUN-000001\n/);
    expect(stdout).toContain(`Received from     ${hostile} (P-`);
    expect(stdout).toContain(`For               Initial assessment (${assessment.appointmentNumber})`);
    expect(stdout).toMatch(/Amount\s+₹1,250\.50\n/);
    expect(stdout).toMatch(/In words\s+Rupees One Thousand Two Hundred and Fifty and Fifty Paise Only\n/);
    expect(stdout).toMatch(/Paid by\s+UPI\n/);
    expect(stdout).toMatch(new RegExp(`Reference\\s+${assessment.reference}\\n`));
    expect(stdout).toMatch(/UTR\s+432109876543\n/);
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(60);
  });

  it('finds the same receipt by its payment reference, and leaves out a GSTIN the clinic did not have', async () => {
    expect((await roshni(['receipt', assessment.reference])).stdout).toContain('SUN-000001');
    const small = await printed(['receipt', cheap.reference]);
    expect(small.code).toBe(0);
    expect(small.stdout).toMatch(/Receipt no\.\s+SUN-000002\n/);
    expect(small.stdout).toMatch(/Amount\s+₹0\.50\n/);
    expect(small.stdout).toMatch(/In words\s+Fifty Paise Only\n/);
    expect(small.stdout).toMatch(/Paid by\s+Cash\n/);
    expect(small.stdout).not.toContain('GSTIN');
    expect(small.stdout).not.toMatch(/UTR|null|undefined/);
    const html = await roshni(['receipt', 'SUN-000002', '--format', 'html']);
    expect(html.stdout).toContain('Sunrise Child Therapy');
    expect(html.stdout).not.toContain('GSTIN');
  });

  it('renders a self-contained printable HTML page with every value escaped', async () => {
    const { code, stdout } = await roshni(['receipt', assessment.reference, '--format', 'html']);
    expect(code).toBe(0);
    expect(stdout.startsWith('<!doctype html>')).toBe(true);
    expect(stdout).toContain('<meta charset="utf-8">');
    expect(stdout).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; Sons');
    expect(stdout).not.toContain('<script');
    expect(stdout).not.toMatch(/\b(src|href)=|https?:|@import/);
    for (const expected of [
      '<h1>Sunrise Child Therapy</h1>',
      'GSTIN 29ABCDE1234F1Z5',
      'Initial assessment',
      '₹1,250.50',
      'Rupees One Thousand Two Hundred and Fifty and Fifty Paise Only',
      '<td>UPI</td>',
      assessment.reference,
      'SUN-000001',
    ]) {
      expect(stdout).toContain(expected);
    }
  });

  it('writes a receipt to a file only its owner can read', async () => {
    const file = join(folder, 'receipt.html');
    const { code, stdout } = await roshni(['receipt', 'SUN-000001', '--format', 'html', '--out', file]);
    expect(code).toBe(0);
    expect(stdout).toBe(`Wrote receipt SUN-000001 to ${file}.\n`);
    expect(readFileSync(file, 'utf8')).toContain('<h2>Receipt</h2>');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('prints the credit note of a refund, against the original receipt', async () => {
    const payment = await database.db.selectFrom('payments').select('id').where('reference', '=', assessment.reference).executeTakeFirstOrThrow();
    const refund = await database.db
      .insertInto('refunds')
      .values({ payment_id: payment.id, amount_paise: 25_050, reason: 'Assessment cut short', state: 'processed', processed_at: new Date() })
      .returning(['id', 'reference'])
      .executeTakeFirstOrThrow();
    const note = await issueCreditNote(ctx(), refund.id);
    expect(note.receipt_number).toMatch(/^SUN-CN-\d{6}$/);
    const { code, stdout } = await printed(['receipt', refund.reference]);
    expect(code).toBe(0);
    expect(stdout).toContain('CREDIT NOTE');
    expect(stdout).toMatch(new RegExp(`Credit note no\\.\\s+${note.receipt_number}\\n`));
    expect(stdout).toMatch(/Amount refunded\s+₹250\.50\n/);
    expect(stdout).toMatch(/In words\s+Rupees Two Hundred and Fifty and Fifty Paise Only\n/);
    expect(stdout).toMatch(/Reason\s+Assessment cut short\n/);
    expect(stdout).toMatch(new RegExp(`Refund reference\\s+${refund.reference}\\n`));
    expect(stdout).toMatch(/Against receipt\s+SUN-000001\n/);
    expect(stdout).toMatch(new RegExp(`Original payment\\s+${assessment.reference} \\(UPI\\)\\n`));
    expect((await roshni(['receipt', note.receipt_number, '--json'])).stdout).toContain('"kind": "credit_note"');
  });

  it('lets the desk read receipts, not a therapist, and says why a receipt is missing', async () => {
    expect((await roshni(['receipt', 'SUN-000001'], 'ravi.desk')).code).toBe(0);
    const therapist = await roshni(['receipt', 'SUN-000001'], 'tara.slp');
    expect(therapist.code).toBe(5);
    expect(therapist.stderr).toBe('roshni: A therapist may not see bills and dues (billing.read: admin or receptionist only).\n');

    const unknown = await roshni(['receipt', 'SUN-999999']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toBe('roshni: No receipt, payment or refund SUN-999999.\n');

    const pending = JSON.parse((await roshni(['pay', 'upi', cheap.appointmentNumber, '--amount', '100', '--json'])).stdout);
    const notYet = await roshni(['receipt', pending.reference]);
    expect(notYet.code).toBe(3);
    expect(notYet.stderr).toBe(
      `roshni: ${pending.reference} is not paid yet, so it has no receipt. When the patient has paid: roshni pay confirm ${pending.reference} --utr <UTR>\n`,
    );

    const pdf = await roshni(['receipt', 'SUN-000001', '--format', 'pdf']);
    expect(pdf.code).toBe(2);
    expect(pdf.stderr).toContain('roshni: --format: "pdf": Allowed choices are text, html.');
  });
});
