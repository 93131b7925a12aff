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

// ---------------------------------------------------------------------------------------------------
// The demo's past (demo-history.ts): three months of a young clinic, made afresh relative to the day
// `roshni demo` runs. Weeks count from the first week of that past (0…12); a patient "since before" was
// already coming when it begins, the others start with an initial assessment.

export type DemoMethod = 'cash' | 'upi' | 'card' | 'bank_transfer' | 'razorpay';

export interface DemoCaseload {
  /** A key of DEMO_PATIENTS, or a patient of DEMO_HISTORY_PATIENTS. */
  patient: string;
  therapist: (typeof DEMO_THERAPISTS)[number]['username'];
  service: 'speech-therapy' | 'occupational-therapy' | 'physiotherapy';
  perWeek: number;
  /** First week of sessions; 'before' when the patient was already coming. */
  from: number | 'before';
  /** The week after the last (discharged); 13: still coming. */
  until: number;
  /** How the family pays, most often first. */
  pays: readonly DemoMethod[];
  /** A package bought in this week (and bought again when used up, with `renew`). */
  package?: { plan: string; week: number; method: DemoMethod; renew?: boolean };
}

export const DEMO_PACKAGE_PLANS = [
  { code: 'speech-10', name: 'Speech therapy: 10 sessions', service: 'speech-therapy', sessions: 10, rupees: 9000 },
  { code: 'ot-10', name: 'Occupational therapy: 10 sessions', service: 'occupational-therapy', sessions: 10, rupees: 9000 },
  { code: 'physio-8', name: 'Physiotherapy: 8 sessions', service: 'physiotherapy', sessions: 8, rupees: 5600 },
] as const;

/** Policy fees of the demo clinic, charged for a no-show or a cancellation inside 24 hours. */
export const DEMO_POLICY_FEES = { lateCancelFeePaise: 50_000, noShowFeePaise: 50_000 };

/** The patients of the past who are not among DEMO_PATIENTS: children come with a parent. */
export const DEMO_HISTORY_PATIENTS = [
  { key: 'dhruv', fullName: 'Dhruv Reddy', dateOfBirth: '2018-07-11', gender: 'male', parent: ['Lavanya Reddy', '+91 98450 31245', 'mother'] },
  { key: 'anaya', fullName: 'Anaya Joshi', dateOfBirth: '2019-12-02', gender: 'female', parent: ['Mihir Joshi', '+91 98860 44512', 'father'] },
  { key: 'vihaan', fullName: 'Vihaan Malhotra', dateOfBirth: '2020-04-18', gender: 'male', parent: ['Ritika Malhotra', '+91 99160 72310', 'mother'] },
  { key: 'myra', fullName: 'Myra Kulkarni', dateOfBirth: '2017-10-27', gender: 'female', parent: ['Aditi Kulkarni', '+91 97390 18264', 'mother'] },
  { key: 'reyansh', fullName: 'Reyansh Bose', dateOfBirth: '2019-01-15', gender: 'male', parent: ['Sourav Bose', '+91 98300 65521', 'father'] },
  { key: 'saanvi', fullName: 'Saanvi Pillai', dateOfBirth: '2018-03-09', gender: 'female', parent: ['Deepa Pillai', '+91 94470 23318', 'mother'] },
  { key: 'advait', fullName: 'Advait Menon', dateOfBirth: '2020-08-30', gender: 'male', parent: ['Nikhil Menon', '+91 95670 81142', 'father'] },
  { key: 'zara', fullName: 'Zara Siddiqui', dateOfBirth: '2016-06-21', gender: 'female', parent: ['Sana Siddiqui', '+91 98190 37756', 'mother'] },
  { key: 'kabir', fullName: 'Kabir Chatterjee', dateOfBirth: '2017-02-14', gender: 'male', parent: ['Moumita Chatterjee', '+91 98310 90427', 'mother'] },
  { key: 'aadhya', fullName: 'Aadhya Rao', dateOfBirth: '2019-09-05', gender: 'female', parent: ['Karthik Rao', '+91 99020 55873', 'father'] },
  { key: 'arnav', fullName: 'Arnav Desai', dateOfBirth: '2018-11-19', gender: 'male', parent: ['Pooja Desai', '+91 98250 66190', 'mother'] },
  { key: 'pari', fullName: 'Pari Agarwal', dateOfBirth: '2020-01-23', gender: 'female', parent: ['Rahul Agarwal', '+91 98290 14736', 'father'] },
  { key: 'vivaan', fullName: 'Vivaan Saxena', dateOfBirth: '2016-05-07', gender: 'male', parent: ['Shweta Saxena', '+91 97170 42289', 'mother'] },
  { key: 'tara', fullName: 'Tara Fernandes', dateOfBirth: '2018-12-12', gender: 'female', parent: ['Joanna Fernandes', '+91 98220 70531', 'mother'] },
  { key: 'aditya', fullName: 'Aditya Iyer', dateOfBirth: '2019-03-17', gender: 'male', parent: ['Meenakshi Iyer', '+91 98400 52671', 'mother'] },
  { key: 'navya', fullName: 'Navya Bhat', dateOfBirth: '2018-08-08', gender: 'female', parent: ['Ankit Bhat', '+91 99450 30817', 'father'] },
  { key: 'ayaan', fullName: 'Ayaan Qureshi', dateOfBirth: '2017-12-29', gender: 'male', parent: ['Nazia Qureshi', '+91 98330 74405', 'mother'] },
  { key: 'ira', fullName: 'Ira Mukherjee', dateOfBirth: '2019-06-02', gender: 'female', parent: ['Sayan Mukherjee', '+91 98740 26193', 'father'] },
  { key: 'sunita', fullName: 'Sunita Deshpande', dateOfBirth: '1971-04-03', gender: 'female', phone: '+91 98500 21937' },
  { key: 'rajesh', fullName: 'Rajesh Patil', dateOfBirth: '1965-08-16', gender: 'male', phone: '+91 98230 48815' },
  { key: 'lakshmi', fullName: 'Lakshmi Venkatesh', dateOfBirth: '1952-02-28', gender: 'female', phone: '+91 94480 63302', language: 'hi' },
  { key: 'harpreet', fullName: 'Harpreet Kaur', dateOfBirth: '1985-10-10', gender: 'female', phone: '+91 98150 27764' },
  { key: 'vikram', fullName: 'Vikram Singh', dateOfBirth: '1979-06-25', gender: 'male', phone: '+91 98100 93418' },
  { key: 'fatima', fullName: 'Fatima Shaikh', dateOfBirth: '1990-12-01', gender: 'female', phone: '+91 98670 15529' },
  { key: 'gopal', fullName: 'Gopal Krishnan', dateOfBirth: '1948-09-14', gender: 'male', phone: '+91 94440 78106' },
  { key: 'prakash', fullName: 'Prakash Hegde', dateOfBirth: '1962-01-20', gender: 'male', phone: '+91 94480 11906' },
  { key: 'nandini', fullName: 'Nandini Rangan', dateOfBirth: '1975-07-14', gender: 'female', phone: '+91 98860 90352' },
] as const;

export const DEMO_CASELOAD: readonly DemoCaseload[] = [
  { patient: 'aarav', therapist: 'priya.slp', service: 'speech-therapy', perWeek: 2, from: 'before', until: 13, pays: ['cash', 'upi'] },
  { patient: 'kavya', therapist: 'arjun.ot', service: 'occupational-therapy', perWeek: 2, from: 'before', until: 13, pays: ['upi', 'razorpay'] },
  { patient: 'rohan', therapist: 'meera.pt', service: 'physiotherapy', perWeek: 2, from: 3, until: 13, pays: ['card', 'upi'] },
  {
    patient: 'iqbal',
    therapist: 'meera.pt',
    service: 'physiotherapy',
    perWeek: 2,
    from: 'before',
    until: 13,
    pays: ['cash'],
    package: { plan: 'physio-8', week: 10, method: 'bank_transfer' },
  },
  { patient: 'dhruv', therapist: 'priya.slp', service: 'speech-therapy', perWeek: 3, from: 'before', until: 13, pays: ['upi', 'cash'] },
  { patient: 'anaya', therapist: 'priya.slp', service: 'speech-therapy', perWeek: 2, from: 'before', until: 13, pays: ['razorpay'] },
  { patient: 'vihaan', therapist: 'priya.slp', service: 'speech-therapy', perWeek: 3, from: 2, until: 13, pays: ['upi'] },
  {
    patient: 'myra',
    therapist: 'priya.slp',
    service: 'speech-therapy',
    perWeek: 2,
    from: 'before',
    until: 13,
    pays: ['card'],
    package: { plan: 'speech-10', week: 0, method: 'card', renew: true },
  },
  { patient: 'reyansh', therapist: 'priya.slp', service: 'speech-therapy', perWeek: 2, from: 4, until: 13, pays: ['cash', 'upi'] },
  { patient: 'saanvi', therapist: 'priya.slp', service: 'speech-therapy', perWeek: 2, from: 'before', until: 8, pays: ['bank_transfer'] },
  { patient: 'advait', therapist: 'priya.slp', service: 'speech-therapy', perWeek: 3, from: 7, until: 13, pays: ['upi', 'razorpay'] },
  { patient: 'zara', therapist: 'priya.slp', service: 'speech-therapy', perWeek: 2, from: 9, until: 13, pays: ['cash'] },
  { patient: 'aditya', therapist: 'priya.slp', service: 'speech-therapy', perWeek: 2, from: 5, until: 13, pays: ['upi', 'cash'] },
  { patient: 'navya', therapist: 'priya.slp', service: 'speech-therapy', perWeek: 2, from: 'before', until: 13, pays: ['card', 'razorpay'] },
  {
    patient: 'kabir',
    therapist: 'arjun.ot',
    service: 'occupational-therapy',
    perWeek: 3,
    from: 'before',
    until: 13,
    pays: ['upi'],
    package: { plan: 'ot-10', week: 11, method: 'upi' },
  },
  { patient: 'aadhya', therapist: 'arjun.ot', service: 'occupational-therapy', perWeek: 2, from: 1, until: 13, pays: ['cash', 'card'] },
  { patient: 'arnav', therapist: 'arjun.ot', service: 'occupational-therapy', perWeek: 2, from: 'before', until: 13, pays: ['razorpay', 'upi'] },
  { patient: 'pari', therapist: 'arjun.ot', service: 'occupational-therapy', perWeek: 2, from: 5, until: 13, pays: ['upi'] },
  { patient: 'vivaan', therapist: 'arjun.ot', service: 'occupational-therapy', perWeek: 2, from: 8, until: 13, pays: ['card', 'upi'] },
  { patient: 'tara', therapist: 'arjun.ot', service: 'occupational-therapy', perWeek: 2, from: 10, until: 13, pays: ['bank_transfer', 'upi'] },
  { patient: 'ayaan', therapist: 'arjun.ot', service: 'occupational-therapy', perWeek: 2, from: 'before', until: 13, pays: ['cash', 'upi'] },
  { patient: 'ira', therapist: 'arjun.ot', service: 'occupational-therapy', perWeek: 2, from: 6, until: 13, pays: ['razorpay', 'card'] },
  { patient: 'sunita', therapist: 'meera.pt', service: 'physiotherapy', perWeek: 2, from: 'before', until: 13, pays: ['upi', 'cash'] },
  { patient: 'rajesh', therapist: 'meera.pt', service: 'physiotherapy', perWeek: 2, from: 1, until: 11, pays: ['card'] },
  { patient: 'lakshmi', therapist: 'meera.pt', service: 'physiotherapy', perWeek: 3, from: 'before', until: 13, pays: ['cash'] },
  { patient: 'harpreet', therapist: 'meera.pt', service: 'physiotherapy', perWeek: 2, from: 0, until: 7, pays: ['razorpay', 'upi'] },
  { patient: 'vikram', therapist: 'meera.pt', service: 'physiotherapy', perWeek: 3, from: 2, until: 10, pays: ['card', 'upi'] },
  { patient: 'fatima', therapist: 'meera.pt', service: 'physiotherapy', perWeek: 2, from: 6, until: 13, pays: ['upi'] },
  { patient: 'gopal', therapist: 'meera.pt', service: 'physiotherapy', perWeek: 3, from: 9, until: 13, pays: ['cash', 'bank_transfer'] },
  { patient: 'prakash', therapist: 'meera.pt', service: 'physiotherapy', perWeek: 3, from: 4, until: 13, pays: ['upi', 'card'] },
  { patient: 'nandini', therapist: 'meera.pt', service: 'physiotherapy', perWeek: 3, from: 8, until: 13, pays: ['bank_transfer', 'upi'] },
];

/** Goals with a baseline, a target, and where the patient has got to by now (0: baseline, 1: target). */
export const DEMO_GOALS = [
  { patient: 'aarav', description: 'Says /s/ correctly at the start of words', unit: '%', baseline: 20, target: 80, reached: 0.65 },
  { patient: 'aarav', description: 'Two-word phrases in a 10-minute play sample', unit: 'phrases', baseline: 3, target: 15, reached: 0.55 },
  { patient: 'kavya', description: 'Buttons her school shirt on her own', unit: 's', baseline: 180, target: 60, reached: 0.6 },
  { patient: 'rohan', description: 'Knee bends (flexion) after the ligament repair', unit: '°', baseline: 85, target: 130, reached: 0.7 },
  { patient: 'iqbal', description: 'Timed up-and-go test', unit: 's', baseline: 24, target: 12, reached: 0.5 },
  { patient: 'dhruv', description: 'Follows two-step instructions', unit: '%', baseline: 30, target: 90, reached: 0.6 },
  { patient: 'kabir', description: 'Copies shapes legibly', unit: '%', baseline: 25, target: 85, reached: 0.45 },
  { patient: 'lakshmi', description: 'Walks with a stick without support', unit: 'm', baseline: 10, target: 100, reached: 0.55 },
  { patient: 'vikram', description: 'Single-leg balance on the operated leg', unit: 's', baseline: 5, target: 45, reached: 1 },
] as const;
