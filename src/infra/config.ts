import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { timeZoneName } from '../domain/time.js';
import { maskUrlPassword } from './db/connection-url.js';
import { OperationalError } from './failure.js';

const flag = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const httpUrl = z.url({ protocol: /^https?$/ });

// Every setting Roshni reads from the environment. Secrets are named in SECRET_KEYS below.
const envSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional(),
  ROSHNI_HOME: z.string().min(1).optional(),
  ROSHNI_TIMEZONE: timeZoneName.default('Asia/Kolkata'),
  /** A session token from `roshni login --print-token`, for scripts (instead of ROSHNI_HOME/session.json). */
  ROSHNI_SESSION: z
    .string()
    .regex(/^rsh_[0-9a-f]{64}$/, 'must be a session token from `roshni login --print-token`')
    .optional(),
  /** Named a user without a secret before sign-in existed: refused, so that no script acts as someone silently. */
  ROSHNI_USER: z.undefined({ error: 'no longer names who acts: sign in with `roshni login` (or ROSHNI_SESSION for scripts)' }).optional(),
  ROSHNI_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),

  ROSHNI_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  ROSHNI_HTTP_PORT: port.default(8080),
  /** Bearer token for GET /health's detail; without it, only this machine gets the detail. */
  ROSHNI_HEALTH_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{24,256}$/, 'must be 24–256 printable characters without spaces (e.g. openssl rand -hex 24)')
    .optional(),

  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'must look like 123456:ABC-DEF…')
    .optional(),
  TELEGRAM_API_ROOT: httpUrl.optional(),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16–256 letters, digits, _ or -')
    .optional(),
  /** The public https address Telegram posts updates to (…/webhooks/telegram); unset: long polling. */
  TELEGRAM_WEBHOOK_URL: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),

  WHATSAPP_ENABLED: flag.default(false),
  ROSHNI_CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
  /** Runs WhatsApp's browser without Chromium's sandbox (needed as root): a risk taken on purpose only. */
  ROSHNI_WHATSAPP_NO_SANDBOX: flag.default(false),

  RAZORPAY_KEY_ID: z
    .string()
    .regex(/^rzp_(test|live)_[A-Za-z0-9]+$/, 'must start with rzp_test_ or rzp_live_')
    .optional(),
  RAZORPAY_KEY_SECRET: z.string().min(8).optional(),
  RAZORPAY_WEBHOOK_SECRET: z.string().min(8).optional(),
  /** While rotating the webhook secret, Razorpay's retries still carry the old one. */
  RAZORPAY_WEBHOOK_SECRET_PREVIOUS: z.string().min(8).optional(),
  RAZORPAY_BASE_URL: httpUrl.optional(),

  RESEND_API_KEY: z.string().min(8).optional(),
  RESEND_BASE_URL: httpUrl.optional(),
  ROSHNI_EMAIL_FROM: z.string().min(3).optional(),

  FAST2SMS_API_KEY: z.string().min(8).optional(),
  FAST2SMS_BASE_URL: httpUrl.default('https://www.fast2sms.com'),
  FAST2SMS_SENDER_ID: z
    .string()
    .regex(/^[A-Z]{6}$/, 'must be a 6-letter DLT sender id')
    .optional(),
  FAST2SMS_DLT_TEMPLATES: z
    .string()
    .regex(/^[a-z_]+=\d+(,[a-z_]+=\d+)*$/, 'must be kind=templateId pairs, e.g. reminder=1707123,booking_confirmed=1707124')
    .optional(),

  ROSHNI_BACKUP_DIR: z.string().min(1).optional(),
  ROSHNI_BACKUP_PASSPHRASE: z.string().min(12, 'must be at least 12 characters').optional(),
  ROSHNI_BACKUP_KEEP_DAILY: positiveInt.default(7),
  ROSHNI_BACKUP_KEEP_WEEKLY: positiveInt.default(4),
  ROSHNI_BACKUP_KEEP_MONTHLY: positiveInt.default(12),
  /** Manual backups and restores' safety backups are removed by rotation after this many days (they keep erased patients' data). */
  ROSHNI_BACKUP_KEEP_MANUAL_DAYS: positiveInt.default(90),

  ROSHNI_DOCUMENTS_DIR: z.string().min(1).optional(),
  ROSHNI_MAX_DOCUMENT_MB: positiveInt.default(25),
});

export type Env = z.infer<typeof envSchema>;

export const SECRET_KEYS = [
  'ROSHNI_SESSION',
  'ROSHNI_HEALTH_TOKEN',
  'TELEGRAM_BOT_TOKEN',
  'TELEGRAM_WEBHOOK_SECRET',
  'RAZORPAY_KEY_SECRET',
  'RAZORPAY_WEBHOOK_SECRET',
  'RAZORPAY_WEBHOOK_SECRET_PREVIOUS',
  'RESEND_API_KEY',
  'FAST2SMS_API_KEY',
  'ROSHNI_BACKUP_PASSPHRASE',
] as const satisfies readonly (keyof Env)[];

export interface Config {
  env: Env;
  databaseUrl: string | undefined;
  home: string;
  timezone: string;
  backupDir: string;
  documentsDir: string;
}

export class ConfigError extends OperationalError {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super('configuration', `Configuration error: ${variable} ${detail}.`);
    this.name = 'ConfigError';
  }
}

/** Variables from an optional .env file; the real environment wins over the file. */
export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

export function loadConfig(env: Record<string, string | undefined> = process.env, envFile = resolve('.env')): Config {
  const merged = { ...readEnvFile(envFile), ...env };
  // An empty variable means "not set", as in most shells' habits.
  const cleaned = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    // invalid_type is also what a coerced number says of "lots": only an absent variable is missing.
    const detail =
      issue.code === 'invalid_type' && cleaned[variable] === undefined ? 'is missing' : issue.message.replace(/^Invalid input:?\s*/i, '') || 'is invalid';
    throw new ConfigError(variable, detail.startsWith('must') || detail.startsWith('is') ? detail : `is invalid: ${detail}`);
  }
  const values = parsed.data;
  const home = resolve(values.ROSHNI_HOME ?? join(homedir(), '.roshni'));
  return {
    env: values,
    databaseUrl: values.DATABASE_URL,
    home,
    timezone: values.ROSHNI_TIMEZONE,
    backupDir: resolve(values.ROSHNI_BACKUP_DIR ?? join(home, 'backups')),
    documentsDir: resolve(values.ROSHNI_DOCUMENTS_DIR ?? join(home, 'documents')),
  };
}

/** The configuration with secrets masked, for `roshni config show` and diagnostics. */
export function describeConfig(config: Config): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(config.env)) {
    if (value === undefined) continue;
    out[key] = (SECRET_KEYS as readonly string[]).includes(key) ? '********' : (value as string | number | boolean);
  }
  if (config.databaseUrl) out.DATABASE_URL = maskUrlPassword(config.databaseUrl);
  out.ROSHNI_HOME = config.home;
  return out;
}

export { maskUrlPassword };
