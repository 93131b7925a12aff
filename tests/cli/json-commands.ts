// Every command that prints JSON, run one after another against the demo clinic on its pinned day
// (Tuesday 15 December 2026, 11:00 in Bengaluru): what json-shapes.test.ts compares with README.md.
// A case reads what earlier ones printed (`out`) for the ids it needs. Order matters: writes follow reads.

/** What the cases printed so far, by command. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each case reads the JSON another printed, whatever its shape
export type Printed = Record<string, any>;

export interface JsonCase {
  command: string;
  /** What `out` and the test call this run, when a command runs twice. */
  label?: string;
  argv: (out: Printed, files: string) => string[];
  /** Who runs it: the demo's admin unless said (the owner is DATABASE_URL without a session). */
  as?: 'owner' | 'admin' | 'desk' | 'priya';
  input?: string;
  /** Exit codes that still print JSON (0 unless said). */
  codes?: number[];
}

const DAY = '2026-12-15';
const TOMORROW = '2026-12-16';
const first = (out: Printed, command: string) => {
  const printed = out[command];
  if (!printed) throw new Error(`${command} printed nothing to read an id from`);
  return Array.isArray(printed) ? printed[0] : printed;
};

export const JSON_CASES: JsonCase[] = [
  { command: 'db status', argv: () => ['db', 'status'], as: 'owner' },
  { command: 'db migrate', argv: () => ['db', 'migrate'], as: 'owner' },
  { command: 'config show', argv: () => ['config', 'show'], as: 'owner' },
  { command: 'today', argv: () => ['today'] },
  { command: 'schedule', argv: () => ['schedule', '--date', DAY] },
  { command: 'appointments list', argv: () => ['appointments', 'list', '--from', DAY, '--to', '2026-12-31'] },
  { command: 'appointments show', argv: (out) => ['appointments', 'show', first(out, 'appointments list').appointmentNumber] },
  { command: 'availability', argv: () => ['availability', '--service', 'speech-therapy', '--from', TOMORROW, '--to', TOMORROW, '--limit', '3'] },
  { command: 'patient find', argv: () => ['patient', 'find', 'Gupta'] },
  { command: 'patient show', argv: (out) => ['patient', 'show', out['patient find'].patients[0].patientNumber] },
  { command: 'guardian show', argv: (out) => ['guardian', 'show', String(out['patient show'].guardians[0].id)] },
  { command: 'therapist list', argv: () => ['therapist', 'list'] },
  { command: 'therapist show', argv: () => ['therapist', 'show', 'priya'] },
  { command: 'staff list', argv: () => ['staff', 'list'] },
  { command: 'staff sessions', argv: () => ['staff', 'sessions'] },
  { command: 'service list', argv: () => ['service', 'list'] },
  { command: 'hours show', argv: () => ['hours', 'show'] },
  { command: 'slots list', argv: () => ['slots', 'list', '--date', TOMORROW, '--therapist', 'priya'] },
  { command: 'settings show', argv: () => ['settings', 'show'] },
  { command: 'notifications list', argv: () => ['notifications', 'list', '--limit', '5'] },
  { command: 'jobs list', argv: () => ['jobs', 'list'] },
  { command: 'health', argv: () => ['health'], codes: [0, 1, 2] }, // the demo has no backup yet: degraded
  { command: 'audit', argv: () => ['audit', '--limit', '5'] },
  { command: 'report revenue', argv: () => ['report', 'revenue', '--month', '2026-11'] },
  { command: 'report dues', argv: () => ['report', 'dues'] },
  { command: 'report utilisation', argv: () => ['report', 'utilisation', '--month', '2026-11'] },
  { command: 'report attendance', argv: () => ['report', 'attendance', '--month', '2026-11'] },
  { command: 'report patients', argv: () => ['report', 'patients', '--month', '2026-11'] },
  { command: 'report packages', argv: () => ['report', 'packages'] },
  { command: 'report monthly', argv: () => ['report', 'monthly', '--month', '2026-11'] },
  { command: 'dues', argv: () => ['dues'] },
  { command: 'payments', argv: () => ['payments', '--from', '2026-12-01', '--to', DAY] },
  { command: 'reconcile', argv: () => ['reconcile', '--date', '2026-12-14'] },
  { command: 'receipt', argv: (out) => ['receipt', first(out, 'payments').receiptNumber] },
  { command: 'package plans', argv: () => ['package', 'plans'] },
  { command: 'package list', argv: () => ['package', 'list'] },
  { command: 'inbox list', argv: () => ['inbox', 'list'] },
  { command: 'notes due', argv: () => ['notes', 'due'], as: 'priya' },
  { command: 'assess templates', argv: () => ['assess', 'templates'], as: 'priya' },
  { command: 'progress', argv: () => ['progress', 'Aarav Gupta'], as: 'priya' },
  { command: 'patient retention', argv: () => ['patient', 'retention'] },
  { command: 'remind run', argv: () => ['remind', 'run', '--dry-run'] },
  { command: 'notifications retry', argv: () => ['notifications', 'retry', '--all-failed'] },

  // The desk's day: a new family, a booking, its money.
  { command: 'patient add', argv: () => ['patient', 'add', '--name', 'Test Child', '--dob', '2020-01-01', '--phone', '+91 98000 00001'] },
  { command: 'patient update', argv: (out) => ['patient', 'update', out['patient add'].patientNumber, '--email', 'family@example.com'] },
  { command: 'patient assign', argv: (out) => ['patient', 'assign', out['patient add'].patientNumber, '--therapist', 'priya'] },
  { command: 'guardian add', argv: () => ['guardian', 'add', '--name', 'Test Parent', '--phone', '+91 98000 00002'] },
  {
    command: 'guardian link',
    argv: (out) => ['guardian', 'link', String(out['guardian add'].id), out['patient add'].patientNumber, '--relationship', 'mother'],
  },
  {
    command: 'book',
    argv: (out) => ['book', '--patient', out['patient add'].patientNumber, '--service', 'speech-therapy', '--therapist', 'priya', '--at', `${TOMORROW} 09:00`],
  },
  { command: 'confirm', argv: (out) => ['confirm', out.book.appointmentNumber] },
  { command: 'reschedule', argv: (out) => ['reschedule', out.book.appointmentNumber, '--at', `${TOMORROW} 15:00`] },
  { command: 'pay cash', argv: (out) => ['pay', 'cash', out.book.appointmentNumber, '--amount', '200'] },
  { command: 'pay card', argv: (out) => ['pay', 'card', out.book.appointmentNumber, '--amount', '200'] },
  { command: 'pay bank', argv: (out) => ['pay', 'bank', out.book.appointmentNumber, '--amount', '100'] },
  { command: 'refund', argv: (out) => ['refund', out['pay cash'].reference, '--amount', '50', '--reason', 'Counted twice'] },
  { command: 'pay upi', argv: (out) => ['pay', 'upi', out.book.appointmentNumber, '--amount', '100'] },
  { command: 'pay confirm', argv: (out) => ['pay', 'confirm', out['pay upi'].reference, '--utr', '412345678901'] },
  { command: 'pay upi', label: 'pay upi, to be cancelled', argv: (out) => ['pay', 'upi', out.book.appointmentNumber, '--amount', '100'] },
  { command: 'pay cancel', argv: (out) => ['pay', 'cancel', out['pay upi, to be cancelled'].reference, '--reason', 'Paying in cash instead'] },
  {
    command: 'waive',
    argv: (out) => [
      'waive',
      out.today.appointments.find((a: { paymentStatus: string }) => a.paymentStatus === 'pending').appointmentNumber,
      '--reason',
      'Hardship',
    ],
  },
  {
    command: 'waitlist add',
    argv: (out) => ['waitlist', 'add', '--patient', out['patient add'].patientNumber, '--service', 'speech-therapy', '--from', TOMORROW, '--to', '2026-12-20'],
  },
  { command: 'waitlist dates', argv: (out) => ['waitlist', 'dates', String(out['waitlist add'].id), '--from', TOMORROW, '--to', '2026-12-24'] },
  { command: 'waitlist list', argv: () => ['waitlist', 'list'] },
  { command: 'waitlist remove', argv: (out) => ['waitlist', 'remove', String(out['waitlist add'].id)] },
  // Two families wait for speech therapy; the cancelled session's place is offered to one, who declines, then the other.
  {
    command: 'waitlist add',
    label: 'waitlist add, Rohan',
    argv: () => ['waitlist', 'add', '--patient', 'Rohan Verma', '--service', 'speech-therapy', '--from', TOMORROW, '--to', TOMORROW],
  },
  {
    command: 'waitlist add',
    label: 'waitlist add, Iqbal',
    argv: () => ['waitlist', 'add', '--patient', 'Iqbal Khan', '--service', 'speech-therapy', '--from', TOMORROW, '--to', TOMORROW],
  },
  { command: 'cancel', argv: (out) => ['cancel', out.book.appointmentNumber, '--reason', 'Family travelling'] },
  { command: 'waitlist offers', argv: () => ['waitlist', 'offers', '--since', DAY] },
  { command: 'waitlist decline', argv: (out) => ['waitlist', 'decline', String(first(out, 'waitlist offers').id)] },
  { command: 'waitlist accept', argv: (out) => ['waitlist', 'accept', String(out['waitlist decline'].nextOffer.offerId)] },
  {
    command: 'package add-plan',
    argv: () => [
      'package',
      'add-plan',
      '--code',
      'speech-5',
      '--name',
      'Speech therapy: 5 sessions',
      '--service',
      'speech-therapy',
      '--sessions',
      '5',
      '--price',
      '4500',
      '--valid-days',
      '60',
    ],
  },
  { command: 'package sell', argv: (out) => ['package', 'sell', '--patient', out['patient add'].patientNumber, '--plan', 'speech-5', '--method', 'cash'] },
  {
    command: 'consent grant',
    argv: (out) => ['consent', 'grant', out['patient add'].patientNumber, '--purpose', 'messaging', '--channel', 'cli', '--notice', 'v1'],
  },
  { command: 'consent list', argv: (out) => ['consent', 'list', out['patient add'].patientNumber] },
  { command: 'consent withdraw', argv: (out) => ['consent', 'withdraw', out['patient add'].patientNumber, '--purpose', 'messaging'] },

  // A session today: checked in, completed, its notes, an assessment, a goal, a document.
  { command: 'checkin', argv: (out) => ['checkin', todayOf(out, true)] },
  { command: 'complete', argv: (out) => ['complete', todayOf(out, true)] },
  { command: 'no-show', argv: (out) => ['no-show', todayOf(out, false)] },
  { command: 'notes add', argv: (out) => ['notes', 'add', todayOf(out, true), '--observations', 'Seven of ten sounds', '--rating', '4'], as: 'priya' },
  { command: 'notes edit', argv: (out) => ['notes', 'edit', todayOf(out, true), '--homework', 'Practise /s/'], as: 'priya' },
  { command: 'notes show', argv: (out) => ['notes', 'show', todayOf(out, true)], as: 'priya' },
  {
    command: 'assess new',
    argv: (out) => {
      const template = (out['assess templates'] as Array<{ code: string; specialization: string; example: unknown }>).find((t) => t.specialization === 'slp')!;
      return [
        'assess',
        'new',
        '--patient',
        'Aarav Gupta',
        '--kind',
        'progress',
        '--template',
        template.code,
        '--data',
        JSON.stringify(template.example),
        '--on',
        DAY,
      ];
    },
    as: 'priya',
  },
  { command: 'assess show', argv: (out) => ['assess', 'show', String(out['assess new'].id)], as: 'priya' },
  { command: 'assess list', argv: () => ['assess', 'list', 'Aarav Gupta'], as: 'priya' },
  {
    command: 'goal add',
    argv: () => [
      'goal',
      'add',
      '--patient',
      'Aarav Gupta',
      '--description',
      'Says /s/ in words',
      '--baseline',
      '2',
      '--target',
      '8',
      '--unit',
      'words',
      '--by',
      '2027-03-01',
    ],
    as: 'priya',
  },
  { command: 'goal measure', argv: (out) => ['goal', 'measure', String(out['goal add'].id), '4', '--on', DAY], as: 'priya' },
  { command: 'goal status', argv: (out) => ['goal', 'status', String(out['goal add'].id), 'achieved'], as: 'priya' },
  { command: 'doc add', argv: (_, files) => ['doc', 'add', 'Aarav Gupta', `${files}/report.pdf`, '--type', 'report'], as: 'priya' },
  { command: 'doc list', argv: () => ['doc', 'list', 'Aarav Gupta'] },
  { command: 'doc get', argv: (out, files) => ['doc', 'get', String(out['doc add'].id), '--out', `${files}/fetched.pdf`], as: 'priya' },
  { command: 'doc remove', argv: (out) => ['doc', 'remove', String(out['doc add'].id), '--reason', 'Wrong patient'] },

  // The clinic's set-up.
  { command: 'init', argv: () => ['init', '--upi-payee-name', 'Roshni Demo Clinic'] },
  { command: 'settings set', argv: () => ['settings', 'set', '--grace-minutes', '15'] },
  {
    command: 'service add',
    argv: () => ['service', 'add', '--code', 'parent-coaching', '--name', 'Parent coaching', '--minutes', '30', '--price', '600', '--spec', 'slp'],
  },
  { command: 'service update', argv: () => ['service', 'update', 'parent-coaching', '--price', '700'] },
  { command: 'service deactivate', argv: () => ['service', 'deactivate', 'parent-coaching'] },
  { command: 'therapist add', argv: () => ['therapist', 'add', '--name', 'Test Therapist', '--spec', 'slp'] },
  { command: 'hours set', argv: (out) => ['hours', 'set', String(out['therapist add'].id), '--hours', 'mon-fri 09:00-13:00'] },
  {
    command: 'slots generate',
    argv: (out) => ['slots', 'generate', '--from', '2027-01-04', '--to', '2027-01-04', '--therapist', String(out['therapist add'].id)],
  },
  { command: 'slots block', argv: (out) => ['slots', 'block', String(first(out, 'slots list').slots[0].id), '--reason', 'Team meeting'] },
  { command: 'slots unblock', argv: (out) => ['slots', 'unblock', String(first(out, 'slots list').slots[0].id)] },
  {
    command: 'leave add',
    argv: (out) => ['leave', 'add', String(out['therapist add'].id), '--from', '2027-01-05', '--to', '2027-01-06', '--reason', 'Conference'],
  },
  { command: 'leave list', argv: () => ['leave', 'list'] },
  { command: 'leave remove', argv: (out) => ['leave', 'remove', String(out['leave add'].leave.id)] },
  { command: 'holiday add', argv: () => ['holiday', 'add', '--date', '2027-01-26', '--name', 'Republic Day'] },
  { command: 'holiday list', argv: () => ['holiday', 'list', '--year', '2027'] },
  { command: 'holiday remove', argv: () => ['holiday', 'remove', '2027-01-26'] },
  { command: 'therapist deactivate', argv: (out) => ['therapist', 'deactivate', String(out['therapist add'].id)] },
  { command: 'staff add', argv: () => ['staff', 'add', '--username', 'test.desk', '--name', 'Test Desk', '--role', 'receptionist', '--invite'] },
  { command: 'staff deactivate', argv: () => ['staff', 'deactivate', 'test.desk'] },
  { command: 'staff revoke', argv: () => ['staff', 'revoke', '--user', 'demo.desk'] },

  // Operations, and the patient's rights, last.
  { command: 'backup create', argv: () => ['backup', 'create'], as: 'owner' },
  { command: 'backup list', argv: () => ['backup', 'list'] },
  { command: 'backup verify', argv: (out) => ['backup', 'verify', out['backup create'].file], as: 'owner' },
  { command: 'audit verify', argv: () => ['audit', 'verify'] },
  { command: 'patient export', argv: (out, files) => ['patient', 'export', out['patient add'].patientNumber, '--out', `${files}/export.zip`] },
  { command: 'patient erase', argv: (out) => ['patient', 'erase', out['patient add'].patientNumber, '--reason', 'Request by the family', '--yes'] },
  { command: 'login', argv: () => ['login', 'demo.admin', '--password-stdin'], as: 'owner', input: 'roshni demo clinic\n' },
  { command: 'logout', argv: () => ['logout'], as: 'owner' },
];

/** The demo's appointment today (as `today` first printed it) with Dr. Priya Sharma, or with someone else. */
function todayOf(out: Printed, withPriya: boolean): string {
  const appointments = out.today.appointments as Array<{ appointmentNumber: string; therapist: { name: string } }>;
  const found = appointments.find((a) => (a.therapist.name === 'Dr. Priya Sharma') === withPriya);
  if (!found) throw new Error(`No appointment today ${withPriya ? 'with' : 'without'} Dr. Priya Sharma`);
  return found.appointmentNumber;
}

/** Documented in README.md but not run here, and why. */
export const DOCUMENTED_NOT_RUN: Record<string, string> = {
  start: 'runs until stopped (tests/jobs/start.test.ts)',
  serve: 'runs until stopped',
  'pay link': 'needs Razorpay (tests/billing/razorpay-online-payments.test.ts)',
  'pay order': 'needs Razorpay (tests/billing/razorpay-online-payments.test.ts)',
  'notify test': 'needs a messaging channel (tests/notifications/notify-test.test.ts)',
  'backup restore': 'replaces the database the other cases read',
  'db start': 'starts the embedded database, which the cases (on DATABASE_URL) do not use (tests/cli/embedded-demo.test.ts)',
  'db stop': 'stops the embedded database, which the cases (on DATABASE_URL) do not use (tests/cli/embedded-demo.test.ts)',
  'staff password': 'asks for the password at a terminal',
  'inbox show': 'needs a chat handed to the clinic',
  'inbox reply': 'needs a chat handed to the clinic',
};

/** Commands that print no JSON at all: they hold a terminal or a connection until stopped. */
export const PRINT_NO_JSON = ['chat', 'bot telegram', 'bot whatsapp'];
