import { describe, expect, it } from 'vitest';
import { changedFields, columnsOf, columnValues, givenFields } from '../../src/domain/field-changes.js';

// An edit of a patient, a service, a session's notes or the clinic's policies names only what
// changes: the fields given, those that differ from the row, and their columns.
const COLUMNS = { fullName: 'full_name', dateOfBirth: 'date_of_birth', phone: 'phone' } as const;

describe('changing some fields of a row', () => {
  it('takes the fields given, in the order of the columns, leaving out the undefined ones but not a null', () => {
    expect(givenFields(COLUMNS, { phone: '+919876543210', fullName: undefined, dateOfBirth: null })).toEqual(['dateOfBirth', 'phone']);
    expect(givenFields(COLUMNS, {})).toEqual([]);
  });

  it('keeps of those only what differs from the row, and sets their columns', () => {
    const row = { full_name: 'Aarav Sharma', date_of_birth: '2019-04-02', phone: '+919876543210' };
    const input = { fullName: 'Aarav Sharma', dateOfBirth: '2019-04-12', phone: '+919876543210' };
    const changed = changedFields(COLUMNS, givenFields(COLUMNS, input), input, row);
    expect(changed).toEqual(['dateOfBirth']);
    expect(columnValues(COLUMNS, changed, input)).toEqual({ date_of_birth: '2019-04-12' });
    expect(columnValues(COLUMNS, ['fullName', 'phone'], { fullName: 'Aarav S.', phone: null })).toEqual({ full_name: 'Aarav S.', phone: null });
  });

  it("names each field's column in snake_case, in the order of the fields, unless the column is named otherwise", () => {
    const columns = columnsOf({ fullName: 1, dateOfBirth: 2, phone: 3, language: 4 }, { language: 'preferred_language' });
    expect(columns).toEqual({ fullName: 'full_name', dateOfBirth: 'date_of_birth', phone: 'phone', language: 'preferred_language' });
    expect(Object.keys(columns)).toEqual(['fullName', 'dateOfBirth', 'phone', 'language']);
    expect(columnsOf({ reminderOffsetsMinutes: null })).toEqual({ reminderOffsetsMinutes: 'reminder_offsets_minutes' });
  });
});
