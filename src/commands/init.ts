import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { emit, note } from '../cli/output.js';
import { writeLine, type CommandEnv } from '../cli/io.js';
import { phoneValue } from '../cli/phone-options.js';
import { askText } from '../cli/prompts.js';
import { readPassword } from '../cli/password-input.js';
import { requireStaffNames } from '../cli/staff-name-prompts.js';
import { signedInStaff, withSession, type Session } from '../cli/session.js';
import { createFirstAdmin, needsFirstAdmin } from '../domain/access/first-admin.js';
import { password as passwordRule } from '../domain/access/passwords.js';
import { clinicSettingsInput, getClinicSettings, saveClinicSettings, type ClinicSettingsInput } from '../domain/clinic/settings.js';
import { inTransaction, type DomainContext } from '../domain/context.js';
import { InvalidInputError } from '../domain/errors.js';
import { displayPhone, phoneKind } from '../domain/people/phone.js';
import { migrateToLatest } from '../infra/db/migrate.js';

interface InitFlags {
  name?: string;
  phone?: string;
  email?: string;
  address?: string;
  upiVpa?: string;
  upiPayeeName?: string;
  gstin?: string;
  receiptPrefix?: string;
  timezone?: string;
}

interface FirstAdminFlags {
  admin?: string;
  adminName?: string;
  passwordStdin?: boolean;
}

interface FirstAdmin {
  username: string;
  fullName: string;
  password: string;
}

/**
 * Who sets the clinic up: on a new clinic, the first admin (asked for here, created with the settings in
 * one transaction); on a clinic that has one, a signed-in admin (the settings say where patients' money goes).
 */
async function actingForInit(env: CommandEnv, session: Session, flags: FirstAdminFlags): Promise<{ ctx: DomainContext; firstAdmin?: FirstAdmin }> {
  if (!(await needsFirstAdmin(session.database.db))) return { ctx: await signedInStaff(session.database, session.config, session.ctx) };
  const { username, fullName } = await requireStaffNames(env, {
    username: { value: flags.admin, flag: '--admin', message: "The first admin's username", placeholder: 'anita.admin' },
    fullName: { value: flags.adminName, flag: '--admin-name', message: "The first admin's full name" },
  });
  const password = await readPassword(env, { fromStdin: flags.passwordStdin, message: `A password for ${username}`, confirm: true });
  const parsed = passwordRule.safeParse(password);
  if (!parsed.success) throw new InvalidInputError(`password: ${parsed.error.issues[0]!.message}`);
  return { ctx: session.ctx, firstAdmin: { username: username.trim().toLowerCase(), fullName, password } };
}

async function askForSettings(current: ClinicSettingsInput): Promise<ClinicSettingsInput> {
  const shape = clinicSettingsInput.shape;
  return {
    ...current,
    name: (await askText({ message: 'Clinic name', initialValue: current.name, schema: shape.name }))!,
    phone: await askText({ message: 'Clinic phone', placeholder: '98765 43210', optional: true, schema: shape.phone }),
    email: await askText({ message: 'Clinic email', optional: true, schema: shape.email }),
    address: await askText({ message: 'Address (printed on receipts)', optional: true }),
    upiVpa: await askText({ message: 'UPI id for payments', placeholder: 'clinic@okicici', optional: true, schema: shape.upiVpa }),
    gstin: await askText({ message: 'GSTIN (leave empty if not registered)', optional: true, schema: shape.gstin }),
  };
}

async function initClinic(env: CommandEnv, allFlags: InitFlags & FirstAdminFlags): Promise<number> {
  const { admin: _admin, adminName: _adminName, passwordStdin: _passwordStdin, ...flags } = allFlags;
  return withSession(
    env,
    async (session) => {
      const { applied } = await migrateToLatest(session.database.db);
      const acting = await actingForInit(env, session, allFlags);
      const ctx = { ...acting.ctx, timezone: flags.timezone ?? session.config.timezone };
      const existing = await getClinicSettings(ctx);
      // A set-up clinic keeps its name when only other settings are given (`roshni init --upi-vpa …`).
      const changes = Object.values(flags).some((v) => v !== undefined);
      const name = flags.name ?? (changes ? existing?.name : undefined);
      let input: ClinicSettingsInput | undefined = name ? { ...flags, name } : undefined;
      if (!input && env.interactive) input = await askForSettings({ ...flags, name: existing?.name ?? '' });
      if (!input && !existing) {
        throw new InvalidInputError('--name is required to set up the clinic (or run `roshni init` in a terminal).');
      }
      // The first admin and the settings land together: a refused setting leaves no admin behind.
      const settings = await inTransaction(ctx, async (tx) => {
        if (acting.firstAdmin) await createFirstAdmin(tx, acting.firstAdmin);
        return input ? saveClinicSettings(tx, input) : existing!;
      });
      if (input?.phone && settings.phone && phoneKind(settings.phone) === 'landline') {
        writeLine(
          env.io.stderr,
          `roshni: warning: the clinic's phone ${displayPhone(settings.phone)} is a landline: fine on receipts, but it cannot receive messages.`,
        );
      }
      const firstAdmin = acting.firstAdmin?.username;
      emit(env, { database: session.database.kind, location: session.database.location, applied, settings, firstAdmin: firstAdmin ?? null }, () => [
        `Database: ${session.database.kind === 'embedded' ? 'embedded' : 'PostgreSQL'} at ${session.database.location}`,
        applied.length ? `Applied ${applied.length} migration(s).` : 'Schema up to date.',
        `Clinic: ${settings.name} (time zone ${settings.timezone}, receipts ${settings.receipt_prefix}-…)`,
        ...(firstAdmin ? [`First admin: ${firstAdmin}. Sign in with \`roshni login ${firstAdmin}\`.`] : []),
        '',
        'Next: `roshni demo` to explore with sample data, or add your therapists and services.',
      ]);
      return 0;
    },
    { skipSchemaCheck: true, acting: 'owner' },
  );
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('init')
    .description('Set up the clinic: database, migrations and clinic settings (prompts on a terminal)')
    .option('--name <name>', 'clinic name')
    .option('--phone <phone>', 'clinic phone number (a landline is fine: no messages go to it)', phoneValue)
    .option('--email <email>', 'clinic email')
    .option('--address <address>', 'postal address, printed on receipts')
    .option('--upi-vpa <vpa>', 'UPI id that patients pay to, e.g. clinic@okicici')
    .option('--upi-payee-name <name>', 'payee name shown in UPI apps')
    .option('--gstin <gstin>', 'GSTIN, printed on receipts when set')
    .option('--receipt-prefix <prefix>', 'prefix of receipt numbers (default RCPT)')
    .option('--timezone <zone>', 'IANA time zone (default from ROSHNI_TIMEZONE, Asia/Kolkata)')
    .option('--admin <username>', "a new clinic's first admin (asked for on a terminal)")
    .option('--admin-name <name>', "the first admin's full name")
    .option('--password-stdin', "read the first admin's password from standard input")
    .action(
      run(async (env, flags: InitFlags) => {
        note(env, 'Setting up Roshni…');
        return initClinic(env, flags);
      }),
    );
}
