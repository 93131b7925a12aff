import type { DomainContext } from '../context.js';
import type { DemoCaseload, DemoMethod } from './demo-clinic.js';
import type { Rng } from './demo-random.js';

// What the demo's past is made of while it is worked out, before it is written.

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const later = (at: Date, ms: number) => new Date(at.getTime() + ms);

export const padded = (prefix: string, n: number, width = 6) => `${prefix}${String(n).padStart(width, '0')}`;

export interface Staff {
  id: number;
  role: 'admin' | 'receptionist' | 'therapist';
}

export interface ServiceFacts {
  id: number;
  code: string;
  name: string;
  price_paise: number;
  duration_minutes: number;
}

export interface PlanFacts {
  id: number;
  name: string;
  serviceId: number;
  sessions: number;
  pricePaise: number;
  validDays: number;
}

/** An entry the domain would have written to the audit log; ids are asked for once the rows exist. */
export interface AuditDraft {
  at: Date;
  actor: Staff | null;
  action: string;
  entity: string;
  entityId: () => string | number | null;
  patientId: number | null;
  before?: Record<string, unknown> | null;
  after?: () => Record<string, unknown> | null;
}

/** What every part of the past works with: the demo's transaction, its dates, its generator and its desk. */
export interface HistoryScene {
  ctx: DomainContext;
  tz: string;
  rng: Rng;
  today: string;
  /** The first and last days of the past. */
  from: string;
  to: string;
  desk: Staff;
  admin: Staff;
  service: (code: string) => ServiceFacts;
  /** Audit entries in the order the domain would have written them (sorted by time when written). */
  audit: AuditDraft[];
}

export interface PlannedAppointment {
  patientId: number;
  therapistId: number;
  therapistUser: Staff;
  serviceId: number;
  serviceCode: string;
  slotId: number;
  startsAt: Date;
  endsAt: Date;
  pricePaise: number;
  createdAt: Date;
  outcome: 'completed' | 'no_show' | 'late_cancel' | 'cancel' | 'clinic_cancel';
  doneAt: Date;
  reason?: string;
  paymentStatus: 'pending' | 'paid' | 'refunded';
  policyFee: number | null;
  packageKey?: string;
  plan: DemoCaseload;
  id?: number;
  number?: string;
}

export interface PlannedPayment {
  patientId: number;
  appointment?: PlannedAppointment;
  packageKey?: string;
  amountPaise: number;
  method: DemoMethod;
  createdAt: Date;
  paidAt: Date;
  utr: string | null;
  razorpay: { payment: string; link: string; order: string; url: string } | null;
  staff: Staff | null;
  item: string;
  id?: number;
  reference?: string;
  receipt?: string;
}

export interface PlannedPackage {
  key: string;
  patientId: number;
  planId: number;
  planName: string;
  validDays: number;
  serviceId: number;
  sessions: number;
  pricePaise: number;
  soldAt: Date;
  used: number;
  id?: number;
}
