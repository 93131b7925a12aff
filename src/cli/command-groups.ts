import type { Command } from 'commander';
import type { CommandEnv } from './io.js';

/** What a command group module exports: it adds its commands to the program. */
export interface CommandGroup {
  register(program: Command, run: RunCommand): void;
}

/** Wraps a handler: builds the CommandEnv, runs it, and records its exit code. */
export type RunCommand = <A extends unknown[]>(handler: (env: CommandEnv, ...args: A) => Promise<number>) => (...args: A) => Promise<void>;

interface GroupEntry {
  /** Top-level command names this module registers. */
  commands: Record<string, string>;
  load: () => Promise<CommandGroup>;
}

// Loaded on demand: `roshni --help` and `roshni db status` never import the bots or payment SDKs.
export const commandGroups: GroupEntry[] = [
  { commands: { init: 'Set up the clinic: database, migrations and clinic settings' }, load: () => import('../commands/init.js') },
  { commands: { db: 'Database migrations and status' }, load: () => import('../commands/db.js') },
  { commands: { demo: 'Load a demo clinic and show what to try next' }, load: () => import('../commands/demo.js') },
  {
    commands: { today: "Today's appointments, per therapist", schedule: "A day's appointments, per therapist" },
    load: () => import('../commands/schedule.js'),
  },
  {
    commands: {
      book: 'Book an appointment or a weekly series',
      reschedule: 'Move an appointment to another slot',
      cancel: 'Cancel an appointment',
      confirm: 'Record that the patient confirmed',
      checkin: 'Check a patient in',
      complete: 'Mark a session completed',
      'no-show': 'Mark a patient as not having come',
      appointments: 'List and show appointments',
    },
    load: () => import('../commands/appointments.js'),
  },
  { commands: { availability: 'Free times for a service' }, load: () => import('../commands/availability.js') },
  { commands: { waitlist: 'Patients waiting for a freed place' }, load: () => import('../commands/waitlist.js') },
  { commands: { pay: 'Take a payment: cash, card, bank, UPI (QR or UTR), Razorpay link or order' }, load: () => import('../commands/pay.js') },
  { commands: { receipt: 'Print a receipt or credit note (text, HTML)' }, load: () => import('../commands/receipts.js') },
  { commands: { refund: 'Refund a payment, fully or in part' }, load: () => import('../commands/refunds.js') },
  { commands: { package: 'Session packages: plans, sales, balances' }, load: () => import('../commands/packages.js') },
  {
    commands: {
      dues: 'Who owes what',
      payments: 'Payments received, filtered',
      reconcile: "A day's money: expected vs received, by method",
      waive: "Waive an appointment's charge (admin, with a reason)",
    },
    load: () => import('../commands/billing.js'),
  },
  { commands: { serve: 'Run the HTTP endpoints: Razorpay webhook, /health' }, load: () => import('../commands/serve.js') },
  { commands: { chat: 'Try the patient bot in the terminal (no token needed)' }, load: () => import('../commands/chat.js') },
  { commands: { inbox: 'Chats handed to the clinic: list, show, reply' }, load: () => import('../commands/inbox.js') },
  { commands: { bot: 'Run a patient bot channel: telegram, whatsapp' }, load: () => import('../commands/bot.js') },
  { commands: { patient: 'Patients: add, find, show, update, assign; export, erase, retention (DPDP)' }, load: () => import('../commands/patients.js') },
  { commands: { guardian: 'Parents and guardians: add, link to children, show' }, load: () => import('../commands/guardians.js') },
  { commands: { therapist: 'Therapists: add, list, show, deactivate' }, load: () => import('../commands/therapists.js') },
  { commands: { staff: 'Staff users and their roles' }, load: () => import('../commands/staff.js') },
  { commands: { service: 'Services, their prices, durations and capacity' }, load: () => import('../commands/services.js') },
  { commands: { hours: "Therapists' weekly working hours" }, load: () => import('../commands/hours.js') },
  { commands: { leave: 'Therapist leave' }, load: () => import('../commands/leave.js') },
  { commands: { holiday: 'Clinic holidays' }, load: () => import('../commands/holidays.js') },
  { commands: { slots: 'Generate, list, block and unblock appointment slots' }, load: () => import('../commands/slots.js') },
  { commands: { config: 'Show the configuration (secrets masked)' }, load: () => import('../commands/config.js') },
  {
    commands: { settings: "The clinic's rules: cancellation fees, reminders, quiet hours, waitlist offers, retention" },
    load: () => import('../commands/settings.js'),
  },
  { commands: { start: 'Run everything: HTTP, message dispatcher, scheduled jobs' }, load: () => import('../commands/start.js') },
  { commands: { notifications: 'The outbox: list messages, retry failed ones' }, load: () => import('../commands/notifications.js') },
  { commands: { remind: 'Appointment reminders: run now, or a dry run' }, load: () => import('../commands/remind.js') },
  { commands: { notify: 'Send a test message through a channel' }, load: () => import('../commands/notify.js') },
  { commands: { jobs: 'Scheduled jobs: last run, duration, result' }, load: () => import('../commands/jobs.js') },
  { commands: { backup: 'Backups: create, list, verify, restore' }, load: () => import('../commands/backup.js') },
  { commands: { health: 'Health checks: database, disk, backups, outbox, services (exit 0/1/2)' }, load: () => import('../commands/health.js') },
  { commands: { audit: 'The audit log: by patient, user or dates' }, load: () => import('../commands/audit.js') },
  {
    commands: { report: 'Reports: revenue, dues, utilisation, attendance, patients, packages; the monthly HTML report' },
    load: () => import('../commands/report.js'),
  },
  { commands: { login: 'Act as a staff user on this machine', logout: 'Forget the staff user of roshni login' }, load: () => import('../commands/login.js') },
  { commands: { notes: 'Therapy session notes: add, edit, show, notes due' }, load: () => import('../commands/notes.js') },
  { commands: { assess: 'Assessments: new, show, list, templates' }, load: () => import('../commands/assessments.js') },
  { commands: { goal: 'Therapy goals: add, measure, status', progress: "A patient's goals and their trend" }, load: () => import('../commands/goals.js') },
  { commands: { doc: "A patient's documents: add, list, get, remove" }, load: () => import('../commands/documents.js') },
  { commands: { consent: "A patient's consents (DPDP): list, grant, withdraw" }, load: () => import('../commands/consents.js') },
];

export function findGroup(name: string | undefined): GroupEntry | undefined {
  return name ? commandGroups.find((g) => name in g.commands) : undefined;
}
