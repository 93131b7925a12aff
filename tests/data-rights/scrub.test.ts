import { describe, expect, it } from 'vitest';
import { scrubberFor } from '../../src/domain/data-rights/scrub.js';

// The erasure's text scrubber on its own: what people write, and what must stay.

const kavya = { full_name: 'Kavya Menon', phone: '+919731148826', email: 'kavya@example.in', date_of_birth: '2018-11-02' };

describe('taking a person out of free text', () => {
  const own = scrubberFor([kavya]);

  it.each([
    ['tel 0973 114 8826 / +91 (973) 114-8826', 'tel [erased] / [erased]'],
    ['+91 97311 48826, 9731148826, 09731148826, 97311-48826, +919731148826, 91 97311 48826', '[erased], [erased], [erased], [erased], [erased], [erased]'],
    ['0091 97311 48826 or 97311 488 26 (mobile)', '[erased] or [erased] (mobile)'],
    ['DOB 02/11/2018, 2/11/18, 02-11-2018, 02.11.2018, 2018-11-02', 'DOB [erased], [erased], [erased], [erased], [erased]'],
    ['born 2 Nov 2018 (2nd November, 2018; Nov 2, 2018; 2 नवंबर 2018)', 'born [erased] ([erased]; [erased]; [erased])'],
    ['Kavya Menon, KAVYA, kavya@example.in', '[erased], [erased], [erased]'],
  ])('%s', (written, scrubbed) => {
    expect(own.text(written)).toBe(scrubbed);
    expect(own.mentions(written)).toBe(true);
  });

  it('leaves other numbers, dates and names alone', () => {
    for (const other of [
      '98450 12345',
      '+91 97311 48827',
      '12/11/2018',
      '2 Nov 2019',
      '2018-11-20',
      '120/11/2018',
      'Kavyashree',
      'Menonite',
      'UTR 497311488261',
    ]) {
      expect(own.text(other), other).toBe(other);
    }
  });

  it('in the records of someone kept, spares the words of the names kept with them', () => {
    const kept = scrubberFor([kavya], { keepWords: ['Lakshmi', 'Menon', 'Arjun', 'Menon'] });
    expect(kept.text('Kavya has fever, Arjun Menon is fine; Kavya Menon will not come')).toBe(
      '[erased] has fever, Arjun Menon is fine; [erased] will not come',
    );
    expect(kept.json({ child: 'Kavya', sister: 'Arjun Menon', at: 3 })).toEqual({ child: '[erased]', sister: 'Arjun Menon', at: 3 });
  });
});
