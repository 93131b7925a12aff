// The sample clinic that `roshni demo` loads. Names and numbers are invented.

export const DEMO_CLINIC = {
  name: 'Roshni Demo Therapy Centre',
  phone: '+91 80 4000 1234',
  email: 'hello@roshni-demo.example',
  address: '12, 4th Cross, Indiranagar, Bengaluru 560038',
  upiVpa: 'roshnidemo@okicici',
  upiPayeeName: 'Roshni Demo Therapy Centre',
  receiptPrefix: 'RDC',
};

export const DEMO_ADMIN = 'demo.admin';
/** Every demo account's password (README): the demo is for trying Roshni, never for a real clinic. */
export const DEMO_PASSWORD = 'roshni demo clinic';

export const DEMO_STAFF = [
  { username: DEMO_ADMIN, fullName: 'Anita Rao', role: 'admin' },
  { username: 'demo.desk', fullName: 'Farhan Sheikh', role: 'receptionist' },
] as const;

export const DEMO_THERAPISTS = [
  {
    username: 'priya.slp',
    fullName: 'Dr. Priya Sharma',
    specializations: ['slp'],
    hours: ['mon-fri 09:00-13:00', 'mon-fri 14:00-18:00', 'sat 09:00-13:00'],
  },
  {
    username: 'arjun.ot',
    fullName: 'Arjun Mehta',
    specializations: ['ot'],
    hours: ['mon-sat 10:00-13:00', 'mon-fri 14:00-17:00'],
  },
  {
    username: 'meera.pt',
    fullName: 'Meera Iyer',
    specializations: ['pt'],
    hours: ['mon-fri 08:00-12:00', 'mon-fri 16:00-19:00'],
  },
] as const;

export const DEMO_GUARDIANS = [
  { key: 'neha', fullName: 'Neha Gupta', phone: '+91 98200 12345', language: 'en' },
  { key: 'suresh', fullName: 'Suresh Nair', phone: '+91 99000 11223', language: 'hi' },
] as const;

export const DEMO_PATIENTS = [
  { key: 'aarav', fullName: 'Aarav Gupta', dateOfBirth: '2019-05-14', gender: 'male', guardian: 'neha', relationship: 'mother' },
  { key: 'diya', fullName: 'Diya Gupta', dateOfBirth: '2021-02-03', gender: 'female', guardian: 'neha', relationship: 'mother' },
  { key: 'kavya', fullName: 'Kavya Nair', dateOfBirth: '2017-09-22', gender: 'female', guardian: 'suresh', relationship: 'father' },
  { key: 'rohan', fullName: 'Rohan Verma', dateOfBirth: '1988-11-02', gender: 'male', phone: '+91 98111 22334' },
  { key: 'iqbal', fullName: 'Iqbal Khan', dateOfBirth: '1958-03-30', gender: 'male', phone: '+91 97400 55667', language: 'hi' },
] as const;

/** Bookings on the first clinic day and the one after: patient, service, therapist, nth free slot that day. */
export const DEMO_BOOKINGS = [
  { day: 0, patient: 'aarav', service: 'speech-therapy', therapist: 'priya.slp', slot: 0, pay: { method: 'cash', rupees: 1000 } },
  { day: 0, patient: 'kavya', service: 'occupational-therapy', therapist: 'arjun.ot', slot: 1, pay: null },
  { day: 0, patient: 'rohan', service: 'physiotherapy', therapist: 'meera.pt', slot: 2, pay: { method: 'upi', rupees: 400, utr: '432109876543' } },
  { day: 0, patient: 'iqbal', service: 'physiotherapy', therapist: 'meera.pt', slot: 4, pay: null },
  { day: 1, patient: 'diya', service: 'initial-assessment', therapist: 'priya.slp', slot: 1, pay: null },
  { day: 1, patient: 'aarav', service: 'speech-therapy', therapist: 'priya.slp', slot: 3, pay: null },
] as const;
