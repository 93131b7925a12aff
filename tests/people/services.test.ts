import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectRefused, openTestClinic, type TestClinic } from './clinic.js';

describe('services', () => {
  // Each test opens a clinic of its own, with the services every clinic starts with and Farhan at the desk.
  let clinic: TestClinic;
  beforeEach(async () => {
    clinic = await openTestClinic();
    await clinic.addStaff('farhan.desk', 'Farhan Sheikh', 'receptionist');
  });
  afterEach(() => clinic?.close());

  const addHandwritingGroup = () =>
    clinic.json([
      'service',
      'add',
      '--code',
      'Handwriting-Group',
      '--name',
      'Handwriting group',
      '--name-hi',
      'लिखावट समूह',
      '--minutes',
      '60',
      '--price',
      '₹1,250.50',
      '--spec',
      'OT',
      '--capacity',
      '6',
    ]);

  it('lists the services the clinic starts with, prices in paise', async () => {
    const services = await clinic.json(['service', 'list'], 'farhan.desk');
    expect(services.map((s: { code: string }) => s.code)).toContain('speech-therapy');
    expect(services.find((s: { code: string }) => s.code === 'group-social-skills')).toMatchObject({ pricePaise: 60000, capacity: 4, minutes: 45 });
    const human = await clinic.run(['service', 'list']);
    expect(human.stdout).toContain('₹1,000.00');
  });

  it('adds a group service priced in rupees and paise', async () => {
    const added = await addHandwritingGroup();
    expect(added).toMatchObject({
      code: 'handwriting-group',
      nameHi: 'लिखावट समूह',
      minutes: 60,
      pricePaise: 125050,
      specialization: 'ot',
      capacity: 6,
      isAssessment: false,
      active: true,
    });
    const assessment = await clinic.json([
      'service',
      'add',
      '--code',
      'ot-assessment',
      '--name',
      'OT assessment',
      '--minutes',
      '90',
      '--price',
      '2000',
      '--assessment',
    ]);
    expect(assessment).toMatchObject({ nameHi: 'OT assessment', pricePaise: 200000, specialization: null, capacity: 1, isAssessment: true });
  });

  it.each([
    [['--price', '-100'], 2, '--price: "-100" must be an amount in rupees with at most two decimals'],
    [['--price', '850.505'], 2, '--price: "850.505" must be an amount in rupees with at most two decimals'],
    [['--price', '800', '--spec', 'music'], 2, 'Unknown specialization music'],
    [['--price', '800', '--minutes', '600'], 2, 'minutes: must be at most 480'],
    [['--price', '800', '--capacity', '0'], 2, '--capacity: "0" must be a positive whole number.'],
    [['--code', 'speech-therapy', '--price', '800'], 4, 'A service with code speech-therapy already exists'],
    [[], 2, '--price is required'],
  ])('refuses service add with %j and changes nothing', async (flags, code, message) => {
    const base = ['--code', 'music-therapy', '--name', 'Music therapy', '--minutes', '45'];
    const before = await clinic.counts();
    const result = await clinic.run(['service', 'add', ...base, ...flags]);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
    expect(await clinic.counts()).toEqual(before);
  });

  it('does not let a receptionist add a service', async () => {
    const before = await clinic.counts();
    const music = ['service', 'add', '--code', 'music-therapy', '--name', 'Music therapy', '--minutes', '45', '--price', '800'];
    const result = await clinic.run(music, 'farhan.desk');
    expectRefused(result, 5, 'A receptionist may not manage services (service.manage: admin only).');
    expect(await clinic.counts()).toEqual(before);
  });

  it('updates a price, keeping the before and after in the audit log', async () => {
    const updated = await clinic.json(['service', 'update', 'physiotherapy', '--price', '900', '--minutes', '50', '--name', 'Physio session']);
    expect(updated).toMatchObject({ pricePaise: 90000, minutes: 50, name: 'Physio session', changed: ['name', 'minutes', 'pricePaise'] });
    const audit = await clinic.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'service.update').executeTakeFirstOrThrow();
    expect(audit).toMatchObject({
      actor_kind: 'staff',
      before: { pricePaise: 80000, minutes: 45 },
      after: { pricePaise: 90000, minutes: 50 },
      meta: { fields: ['name', 'minutes', 'pricePaise'] },
    });

    const same = await clinic.json(['service', 'update', 'physiotherapy', '--price', '900.00']);
    expect(same.changed).toEqual([]);
    const cleared = await clinic.json(['service', 'update', 'group-social-skills', '--spec', 'none', '--capacity', '5']);
    expect(cleared).toMatchObject({ specialization: null, capacity: 5 });
  });

  it.each([
    [['physiotherapy'], 2, 'Nothing to change for service physiotherapy'],
    [['physiotherapy', '--price', '12.345'], 2, '--price: "12.345" must be an amount in rupees'],
    [['yoga', '--price', '500'], 3, 'No service with code yoga'],
  ])('refuses service update %j', async (args, code, message) => {
    const before = await clinic.counts();
    expectRefused(await clinic.run(['service', 'update', ...args]), code, message);
    expect(await clinic.counts()).toEqual(before);
  });

  it('deactivates a service: it leaves the list but stays on record', async () => {
    await addHandwritingGroup();
    const done = await clinic.json(['service', 'deactivate', 'handwriting-group']);
    expect(done).toMatchObject({ code: 'handwriting-group', active: false, deactivated: true });
    expect((await clinic.json(['service', 'list'])).map((s: { code: string }) => s.code)).not.toContain('handwriting-group');
    expect((await clinic.json(['service', 'list', '--all'])).map((s: { code: string }) => s.code)).toContain('handwriting-group');
    expect((await clinic.json(['service', 'deactivate', 'handwriting-group'])).deactivated).toBe(false);
    expectRefused(await clinic.run(['service', 'deactivate', 'yoga']), 3, 'No service with code yoga');
  });
});
