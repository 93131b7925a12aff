import { z } from 'zod';
import { patientsInCare } from '../../domain/people/in-care.js';
import { defineFlow, step } from '../engine/flow.js';
import { ask, choice, opt, say, t, unknownInput } from '../engine/kit.js';
import { idFrom } from './common.js';

// A guardian with several children picks which child, each time it matters; then the flow that
// asked goes on with `{ patientId }` (a patient chatting for themself goes on at once).

const asking = z.object({ then: z.enum(['book', 'waitlist', 'shared-documents']) });

export const patientChoiceFlow = defineFlow({
  name: 'patient-choice',
  input: asking,
  async start(turn, { then }) {
    const inCare = await patientsInCare(turn.ctx);
    if (!inCare.length) return say(turn, 'noChildren');
    if (inCare.length === 1) return turn.goTo(then, { patientId: inCare[0]!.id });
    ask(
      turn,
      'patient-choice.pick',
      t(turn, 'pickChild'),
      inCare.map((p) => opt(`patient:${p.id}`, p.fullName)),
      { then },
    );
  },
  steps: {
    pick: step(asking, async (turn, { then }) => {
      const patientId = idFrom(choice(turn), 'patient');
      const inCare = await patientsInCare(turn.ctx);
      if (!patientId || !inCare.some((p) => p.id === patientId)) return unknownInput(turn);
      await turn.goTo(then, { patientId });
    }),
  },
});
