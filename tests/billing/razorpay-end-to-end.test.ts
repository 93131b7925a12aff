import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookAppointment } from '../../src/domain/scheduling/book-appointment.js';
import { addDays, clinicDate } from '../../src/domain/time.js';
import { runCli, startCli } from '../support/cli.js';
import { seedClinic, slotsOn, systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { addClinicAdmin, signedInCli } from '../support/billing-staff.js';
import { deliverWebhook, startFakeRazorpay, type FakeRazorpay } from '../support/fake-razorpay.js';

interface Serving {
  url: string;
  port: number;
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  exitCode: Promise<number | null>;
}

/** `roshni serve --port 0` as its own process (the built CLI), once it says where it listens. */
function serve(env: Record<string, string>): Promise<Serving> {
  const child = startCli(['serve', '--port', '0'], env);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exitCode = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = /Listening on (http:\/\/127\.0\.0\.1:(\d+)):/.exec(stdout);
      if (match) resolve({ url: match[1]!, port: Number(match[2]), child, stderr: () => stderr, exitCode });
    });
    void exitCode.then((code) => reject(new Error(`roshni serve exited ${code}: ${stderr}`)));
  });
}

describe('a payment link paid end to end: desk, Razorpay, webhook, receipt', () => {
  let database: TestDatabase;
  let fake: FakeRazorpay;
  let env: Record<string, string>;
  let appointmentNumber: string;

  beforeAll(async () => {
    [database, fake] = await Promise.all([createTestDatabase(), startFakeRazorpay()]);
    env = { DATABASE_URL: database.url, ROSHNI_HOME: '/nonexistent/roshni-home', ...fake.env() };
    const ctx = systemContext(database.db);
    const clinic = await seedClinic(ctx, { patients: 1 });
    const [slot] = await slotsOn(ctx, clinic.speech.id, addDays(clinicDate(new Date(), ctx.timezone), 1));
    await addClinicAdmin(database.db);
    appointmentNumber = (await bookAppointment(ctx, { patientId: clinic.patients[0]!.id, serviceId: clinic.speechService.id, slotId: slot!.id }))
      .appointmentNumber;
  });
  afterAll(() => Promise.all([database?.close(), fake?.close()]));

  it('sends the link from the CLI; Razorpay’s webhook to `roshni serve` marks the appointment paid with a receipt', async () => {
    // The desk (the admin, signed in) sends the link; `roshni serve` acts as the service, with no session.
    const created = await signedInCli(database.db).roshni(['pay', 'link', appointmentNumber, '--json'], env);
    expect(created.code).toBe(0);
    const link = JSON.parse(created.stdout) as { paymentId: number; reference: string; paymentLinkId: string; shortUrl: string };

    const server = await serve(env);
    try {
      // GET /health answers the report of `roshni health --json` (degraded: no backup yet).
      const health = await fetch(`${server.url}/health`);
      const report = (await health.json()) as { status: string; checks: Array<{ name: string; status: string }> };
      expect([health.status, report.status]).toEqual([200, 'degraded']);
      expect(report.checks.find((c) => c.name === 'database')?.status).toBe('ok');
      const { linkPaid, captured, paymentId } = fake.payLink(link.paymentLinkId);
      expect(await deliverWebhook(server.url, linkPaid, { secret: fake.webhookSecret })).toEqual({ status: 200, body: { status: 'ok', outcome: 'applied' } });
      expect((await deliverWebhook(server.url, captured, { secret: fake.webhookSecret })).body.outcome).toBe('no_change');

      const appointment = await database.db
        .selectFrom('appointments')
        .select('payment_status')
        .where('appointment_number', '=', appointmentNumber)
        .executeTakeFirstOrThrow();
      expect(appointment.payment_status).toBe('paid');
      const payment = await database.db
        .selectFrom('payments')
        .select(['state', 'razorpay_payment_id'])
        .where('id', '=', link.paymentId)
        .executeTakeFirstOrThrow();
      expect(payment).toEqual({ state: 'completed', razorpay_payment_id: paymentId });
      const receipt = await database.db
        .selectFrom('receipts')
        .select(['kind', 'amount_paise', 'snapshot'])
        .where('payment_id', '=', link.paymentId)
        .executeTakeFirstOrThrow();
      expect(receipt).toMatchObject({ kind: 'receipt', amount_paise: 100000 });
      expect(receipt.snapshot).toMatchObject({ method: 'razorpay', paymentReference: link.reference, externalReference: paymentId });

      // A second server on the same port is told so in one line.
      const clash = await runCli(['serve', '--port', String(server.port)], env);
      expect(clash.code).toBe(6);
      expect(clash.stderr).toContain(`roshni: Configuration error: ROSHNI_HTTP_PORT ${server.port} is already in use on 127.0.0.1`);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exitCode).toBe(0);
    const log = server.stderr();
    expect(log).toMatch(/^POST \/webhooks\/razorpay 200 \d+ms payment_link\.paid evt_\w+ applied$/m);
    expect(log).toContain('SIGTERM: finishing requests in flight and stopping.');
    for (const personal of ['Patient 001', '9810000001', 'asha.rao', '{']) expect(log).not.toContain(personal);
  });

  it('stops on Ctrl+C (SIGINT) too, with exit code 0', async () => {
    const server = await serve(env);
    server.child.kill('SIGINT');
    expect(await server.exitCode).toBe(0);
  });
});
