import { messagingPhone, phoneNumber } from '../domain/people/phone.js';
import { checkedBy } from './options.js';

// Phone options, apart from src/cli/options.ts: libphonenumber's metadata is loaded only by the
// commands that take a phone number.

/** A number the clinic will message (a patient's, a guardian's, staff's): a valid mobile number, as E.164. */
export const mobilePhoneValue = checkedBy(messagingPhone);

/** Any valid number, as E.164: one to look someone up by, or the clinic's own contact number. */
export const phoneValue = checkedBy(phoneNumber);
