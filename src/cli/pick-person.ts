import type { DomainContext } from '../domain/context.js';
import { ageOn } from '../domain/people/age.js';
import { patientsMatching } from '../domain/people/find-patients.js';
import { guardiansOfPatients } from '../domain/people/guardians.js';
import { resolvePatient, resolveTherapist, therapistsMatching } from '../domain/people/resolve.js';
import { clinicDate } from '../domain/time.js';
import type { CommandEnv } from './io.js';
import { askSelect, askText } from './prompts.js';

// People named the way the desk knows them (see resolve.ts). A script gets exactly one match or an
// error that says how to be precise; at a terminal, several matches are offered to pick from and
// none asks again (Esc or Ctrl-C gives up, exit 2).

const SEARCH_AGAIN = 'search-again';

interface Lookup<T> {
  kind: 'patient' | 'therapist';
  question: string;
  matching(text: string): Promise<T[]>;
  choices(rows: T[]): Promise<Array<{ value: string; label: string; hint?: string }>>;
  idOf(row: T): number;
}

async function pickOnTerminal<T>(env: CommandEnv, ref: string, lookup: Lookup<T>): Promise<T> {
  let text = ref.trim();
  for (;;) {
    const rows = await lookup.matching(text);
    if (rows.length === 1) return rows[0]!;
    if (rows.length > 1) {
      const chosen = await askSelect({
        message: `"${text}" matches ${rows.length} ${lookup.kind}s. Which one?`,
        choices: [...(await lookup.choices(rows)), { value: SEARCH_AGAIN, label: 'Someone else: search again' }],
        io: env.io,
      });
      const row = rows.find((r) => String(lookup.idOf(r)) === chosen);
      if (row) return row;
    }
    const again = rows.length ? lookup.question : `No ${lookup.kind} matches "${text}". ${lookup.question}`;
    text = (await askText({ message: again, io: env.io }))!;
  }
}

/** A patient by a desk reference; at a terminal, picked by P-number, age and guardian when several match. */
export async function patientFor(env: CommandEnv, ctx: DomainContext, ref: string) {
  if (!env.interactive) return resolvePatient(ctx, ref);
  const today = clinicDate(ctx.clock.now(), ctx.timezone);
  return pickOnTerminal(env, ref, {
    kind: 'patient',
    question: 'Patient (name, phone, P-number or id)',
    matching: async (text) => (await patientsMatching(ctx, text)).patients,
    idOf: (p) => p.id,
    choices: async (patients) => {
      const guardians = await guardiansOfPatients(
        ctx,
        patients.map((p) => p.id),
      );
      return patients.map((p) => {
        const guardian = guardians.find((g) => g.patient_id === p.id);
        const age = p.date_of_birth ? `age ${ageOn(p.date_of_birth, today)}` : 'age not recorded';
        // All on the label: a select shows an option's hint only while it is highlighted.
        return { value: String(p.id), label: `${p.patient_number}  ${p.full_name}  ${age}, ${guardian ? `guardian ${guardian.full_name}` : 'no guardian'}` };
      });
    },
  });
}

/** A therapist by id, username or part of the name; at a terminal, picked when several match. */
export async function therapistFor(env: CommandEnv, ctx: DomainContext, ref: string) {
  if (!env.interactive) return resolveTherapist(ctx, ref);
  return pickOnTerminal(env, ref, {
    kind: 'therapist',
    question: 'Therapist (name, username or id)',
    matching: (text) => therapistsMatching(ctx, text),
    idOf: (t) => t.id,
    choices: async (therapists) => therapists.map((t) => ({ value: String(t.id), label: `${t.full_name}  id ${t.id}${t.active ? '' : ', inactive'}` })),
  });
}
