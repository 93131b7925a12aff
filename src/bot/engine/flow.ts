import type { z } from 'zod';
import type { FlowName, Turn } from './types.js';

// A flow is a module the engine knows by name (grammY's Composer idea): its steps, each with the zod
// schema of the data it keeps in the conversation, and where it starts. Flows never import one
// another: they move on with `turn.goTo('menu')` or `turn.goTo('book', { patientId })`, and the
// input they are given is parsed with the schema the flow declares for it.

type Work = Promise<void> | void;

/** Where a stored conversation stands, ready to run; or why its data does not parse. */
export type Resumed = { ok: true; run: (turn: Turn) => Work } | { ok: false; error: z.ZodError };

export interface Step {
  /** Parses the step's stored data; the step runs on the parsed data only. */
  resume(stored: unknown): Resumed;
}

export interface Flow {
  readonly name: FlowName;
  /** Its steps by their own name; the conversation stores them as `<flow>.<step>`. */
  readonly steps: Readonly<Record<string, Step>>;
  /** Starts the flow with what `goTo` carried, parsed with the flow's input schema (a mismatch is a bug, and throws). */
  enter(turn: Turn, input: unknown): Work;
}

/** A step that waits for the person's answer with `data` (of this schema) stored meanwhile. */
export function step<D extends Record<string, unknown>>(data: z.ZodType<D>, run: (turn: Turn, data: D) => Work): Step {
  return {
    resume(stored) {
      const parsed = data.safeParse(stored);
      if (!parsed.success) return { ok: false, error: parsed.error };
      return {
        ok: true,
        run: (turn) => {
          turn.conversation.state.data = parsed.data;
          return run(turn, parsed.data);
        },
      };
    },
  };
}

export function defineFlow<I>(flow: { name: FlowName; input: z.ZodType<I>; start: (turn: Turn, input: I) => Work; steps: Record<string, Step> }): Flow {
  return {
    name: flow.name,
    steps: flow.steps,
    enter: (turn, input) => flow.start(turn, flow.input.parse(input)),
  };
}
