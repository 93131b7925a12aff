import type { Command } from 'commander';
import { z } from 'zod';
import { requireFlag } from '../cli/prompts.js';
import type { RunCommand } from '../cli/command-groups.js';
import { dim, emit, table } from '../cli/output.js';
import { positiveInt, rupeesValue } from '../cli/options.js';
import { sessionAction } from '../cli/session.js';
import { parseInput } from '../domain/errors.js';
import { authorize } from '../domain/policy.js';
import { formatRupees, rupees } from '../domain/money.js';
import { addService, deactivateService, listServices, updateService } from '../domain/scheduling/services.js';

type ServiceRow = Awaited<ReturnType<typeof listServices>>[number];

const serviceJson = (s: ServiceRow) => ({
  id: s.id,
  code: s.code,
  name: s.name,
  nameHi: s.name_hi,
  specialization: s.specialization_code,
  minutes: s.duration_minutes,
  pricePaise: s.price_paise,
  capacity: s.max_participants,
  isAssessment: s.is_assessment,
  active: s.active,
});

const summary = (s: ServiceRow) =>
  `${s.code}: ${s.name}, ${s.duration_minutes} min, ${formatRupees(s.price_paise)}` +
  `${s.max_participants > 1 ? `, up to ${s.max_participants} people` : ''}${s.specialization_code ? ` (${s.specialization_code})` : ''}`;

const FIELD_WORDS: Record<string, string> = { nameHi: 'Hindi name', minutes: 'duration', pricePaise: 'price', isAssessment: 'assessment' };

/** The rupees people type ("850", "1,000.50", "₹850") as paise. */
const paiseFrom = (price: string) => parseInput(z.object({ price: rupees }), { price }).price;

const wholeNumber = z.string().trim().regex(/^\d+$/, 'must be a whole number');

/** `--spec none` makes a service any therapist may give. */
const specFrom = (spec: string | undefined) => (spec === undefined ? undefined : spec.trim().toLowerCase() === 'none' ? null : spec);

interface ServiceFlags {
  code?: string;
  name?: string;
  nameHi?: string;
  minutes?: number;
  /** Paise. */
  price?: number;
  spec?: string;
  capacity?: number;
  assessment?: boolean;
}

export function register(program: Command, run: RunCommand): void {
  const service = program.command('service').description('Services: their prices (in rupees), durations, specialization and capacity');

  service
    .command('list')
    .description('List the services the clinic offers')
    .option('--all', 'include deactivated services')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: { all?: boolean }) => {
        const services = await listServices(ctx, { includeInactive: Boolean(flags.all) });
        emit(env, services.map(serviceJson), () =>
          table(
            ['Code', 'Name', 'Specialization', 'Minutes', 'Price', 'Capacity', ''],
            services.map((s) => [
              s.code,
              s.name,
              s.specialization_code ?? 'any',
              s.duration_minutes,
              formatRupees(s.price_paise),
              s.max_participants,
              [s.is_assessment ? 'assessment' : '', s.active ? '' : dim(env, 'deactivated')].filter(Boolean).join(', '),
            ]),
          ),
        );
        return 0;
      }),
    );

  service
    .command('add')
    .description('Add a service (prompts on a terminal for what is missing)')
    .option('--code <code>', 'short code used in commands, e.g. speech-therapy')
    .option('--name <name>', 'name patients see')
    .option('--name-hi <name>', 'name in Hindi (default: the English name)')
    .option('--minutes <minutes>', 'duration in minutes', positiveInt)
    .option('--price <rupees>', 'price in rupees, e.g. 1000 or 850.50', rupeesValue)
    .option('--spec <code>', 'specialization a therapist needs to give it (slp, ot, pt); none for any')
    .option('--capacity <people>', 'patients per session, more than 1 for group sessions (default 1)', positiveInt)
    .option('--assessment', 'an assessment rather than a therapy session')
    .action(
      sessionAction(run, async ({ ctx, env }, flags: ServiceFlags) => {
        authorize(ctx.actor, 'service.manage'); // before any question is asked
        const code = await requireFlag(env, flags.code, '--code', { message: 'Code', placeholder: 'speech-therapy' });
        const name = await requireFlag(env, flags.name, '--name', { message: 'Name' });
        const minutes = flags.minutes ?? Number(await requireFlag(env, undefined, '--minutes', { message: 'Minutes', placeholder: '45', schema: wholeNumber }));
        const pricePaise =
          flags.price ?? paiseFrom(await requireFlag(env, undefined, '--price', { message: 'Price in rupees', placeholder: '1000', schema: rupees }));
        const added = await addService(ctx, {
          code,
          name,
          nameHi: flags.nameHi,
          minutes,
          pricePaise,
          specialization: specFrom(flags.spec),
          capacity: flags.capacity,
          isAssessment: Boolean(flags.assessment),
        });
        emit(env, serviceJson(added), () => `Added ${summary(added)}.`);
        return 0;
      }),
    );

  service
    .command('update')
    .description('Change a service; appointments already booked keep their price')
    .argument('<code>', 'the service code')
    .option('--name <name>', 'name patients see')
    .option('--name-hi <name>', 'name in Hindi')
    .option('--minutes <minutes>', 'duration in minutes', positiveInt)
    .option('--price <rupees>', 'price in rupees, e.g. 1000 or 850.50', rupeesValue)
    .option('--spec <code>', 'specialization (slp, ot, pt), or none for any therapist')
    .option('--capacity <people>', 'patients per session', positiveInt)
    .action(
      sessionAction(run, async ({ ctx, env }, code: string, flags: ServiceFlags) => {
        const { service: updated, changed } = await updateService(ctx, {
          code,
          name: flags.name,
          nameHi: flags.nameHi,
          minutes: flags.minutes,
          pricePaise: flags.price,
          specialization: specFrom(flags.spec),
          capacity: flags.capacity,
        });
        const fields = changed.map((f) => FIELD_WORDS[f] ?? f).join(', ');
        emit(env, { ...serviceJson(updated), changed }, () =>
          changed.length ? `Updated ${fields}: ${summary(updated)}.` : `Nothing changed: ${summary(updated)}.`,
        );
        return 0;
      }),
    );

  service
    .command('deactivate')
    .description('Stop new bookings of a service (booked appointments keep it)')
    .argument('<code>', 'the service code')
    .action(
      sessionAction(run, async ({ ctx, env }, code: string) => {
        const { service: s, deactivated } = await deactivateService(ctx, { code });
        emit(env, { ...serviceJson(s), deactivated }, () => (deactivated ? `Deactivated ${s.code}: no new bookings.` : `${s.code} was already deactivated.`));
        return 0;
      }),
    );
}
