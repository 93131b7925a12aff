import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import type { CommandEnv } from '../cli/io.js';
import { emit, note } from '../cli/output.js';
import { askText } from '../cli/prompts.js';
import { withSession } from '../cli/session.js';
import { clinicSettingsInput, getClinicSettings, saveClinicSettings, type ClinicSettingsInput } from '../domain/clinic/settings.js';
import { InvalidInputError } from '../domain/errors.js';
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

async function initClinic(env: CommandEnv, flags: InitFlags): Promise<number> {
  return withSession(
    env,
    async (session) => {
      const { applied } = await migrateToLatest(session.database.db);
      const ctx = { ...session.ctx, timezone: flags.timezone ?? session.config.timezone };
      const existing = await getClinicSettings(ctx);
      // A set-up clinic keeps its name when only other settings are given (`roshni init --upi-vpa …`).
      const changes = Object.values(flags).some((v) => v !== undefined);
      const name = flags.name ?? (changes ? existing?.name : undefined);
      let input: ClinicSettingsInput | undefined = name ? { ...flags, name } : undefined;
      if (!input && env.interactive) input = await askForSettings({ ...flags, name: existing?.name ?? '' });
      if (!input && !existing) {
        throw new InvalidInputError('--name is required to set up the clinic (or run `roshni init` in a terminal).');
      }
      const settings = input ? await saveClinicSettings(ctx, input) : existing!;
      emit(env, { database: session.database.kind, location: session.database.location, applied, settings }, () => [
        `Database: ${session.database.kind === 'embedded' ? 'embedded' : 'PostgreSQL'} at ${session.database.location}`,
        applied.length ? `Applied ${applied.length} migration(s).` : 'Schema up to date.',
        `Clinic: ${settings.name} (time zone ${settings.timezone}, receipts ${settings.receipt_prefix}-…)`,
        '',
        'Next: `roshni demo` to explore with sample data, or add your therapists and services.',
      ]);
      return 0;
    },
    { skipSchemaCheck: true },
  );
}

export function register(program: Command, run: RunCommand): void {
  program
    .command('init')
    .description('Set up the clinic: database, migrations and clinic settings (prompts on a terminal)')
    .option('--name <name>', 'clinic name')
    .option('--phone <phone>', 'clinic phone number')
    .option('--email <email>', 'clinic email')
    .option('--address <address>', 'postal address, printed on receipts')
    .option('--upi-vpa <vpa>', 'UPI id that patients pay to, e.g. clinic@okicici')
    .option('--upi-payee-name <name>', 'payee name shown in UPI apps')
    .option('--gstin <gstin>', 'GSTIN, printed on receipts when set')
    .option('--receipt-prefix <prefix>', 'prefix of receipt numbers (default RCPT)')
    .option('--timezone <zone>', 'IANA time zone (default from ROSHNI_TIMEZONE, Asia/Kolkata)')
    .action(
      run(async (env, flags: InitFlags) => {
        note(env, 'Setting up Roshni…');
        return initClinic(env, flags);
      }),
    );
}
