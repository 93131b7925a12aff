import { describe, expect, it } from 'vitest';
import { messagingPhone, phoneKind, phoneNumber, platformPhone } from '../../src/domain/people/phone.js';

describe('phone numbers that can receive messages', () => {
  it("tells a mobile from a landline by libphonenumber's full metadata", () => {
    expect(phoneKind('+919876543210')).toBe('mobile');
    expect(phoneKind('+14155552671')).toBe('mobile'); // FIXED_LINE_OR_MOBILE: the US cannot tell, so it may be messaged
    expect(phoneKind('+911234567890')).toBe('landline'); // "12345 67890": valid, but a fixed line
    expect(phoneKind('+918023456789')).toBe('landline');
    expect(phoneKind('+6561234567')).toBe('landline');
    expect(phoneKind('+88212345678')).toBe('unknown'); // newer than the metadata: taken as written
  });

  it('takes a mobile for messaging and refuses a landline with a sentence', () => {
    expect(messagingPhone.parse('98765 43210')).toBe('+919876543210');
    expect(messagingPhone.parse('+65 9123 4567')).toBe('+6591234567');
    expect(messagingPhone.parse('+882 1234 5678')).toBe('+88212345678');
    const refused = messagingPhone.safeParse('12345 67890');
    expect(refused.success).toBe(false);
    expect(refused.error!.issues[0]!.message).toBe('is a landline (+91 1234 567 890), which cannot receive messages: give a mobile number, e.g. 98765 43210');
    // The clinic's own number is only printed: a landline is a phone number.
    expect(phoneNumber.parse('080 2345 6789')).toBe('+918023456789');
  });

  it("keeps the platform's numbers, whatever the metadata knows", () => {
    expect(platformPhone('6591234567')).toBe('+6591234567');
    expect(platformPhone('88212345678')).toBe('+88212345678');
  });
});
