import { describe, expect, it } from 'vitest';
import { camelCaseKeys, keysAreData } from '../../src/cli/json-keys.js';

describe('--json keys', () => {
  it('turns field names camelCase at every depth, in arrays too', () => {
    expect(camelCaseKeys({ patient_number: 'P-00001', upcoming: [{ starts_at: 'x', price_paise: 1, service: { max_bookings: 4 } }] })).toEqual({
      patientNumber: 'P-00001',
      upcoming: [{ startsAt: 'x', pricePaise: 1, service: { maxBookings: 4 } }],
    });
  });

  it('leaves keys that are data alone: dates, ids, environment variables, names already camelCase', () => {
    const byDay = { '2026-12-07': 3, '41': 'id', DATABASE_URL: 'postgres://…', ROSHNI_HOME: '/x', fullName: 'A', a_: 1, _b: 2 };
    expect(camelCaseKeys(byDay)).toEqual(byDay);
  });

  it('keeps the keys of a record marked as keyed by data, still converting what it holds', () => {
    const tables = keysAreData({ audit_log: 3, therapy_sessions: { row_count: 1 } });
    expect(camelCaseKeys({ backup_id: 1, tables })).toEqual({ backupId: 1, tables: { audit_log: 3, therapy_sessions: { rowCount: 1 } } });
  });

  it('leaves values, Dates and nulls as they are', () => {
    const at = new Date('2026-12-07T04:30:00Z');
    expect(camelCaseKeys({ starts_at: at, blocked_reason: null, status: 'no_show' })).toEqual({ startsAt: at, blockedReason: null, status: 'no_show' });
    expect(JSON.stringify(camelCaseKeys([{ ends_at: at }]))).toBe('[{"endsAt":"2026-12-07T04:30:00.000Z"}]');
  });
});
