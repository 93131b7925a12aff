import type { Flow, Resumed } from './flow.js';
import type { ConversationState, FlowName } from './types.js';

/** Where a stored conversation stands: at no step yet (new, or restarted), at a step ready to run, or unreadable. */
export type Standing =
  | { at: 'none' }
  | { at: 'step'; flow: FlowName; run: Extract<Resumed, { ok: true }>['run'] }
  /** A step no flow has (any more), or data its schema refuses: what is safe to log, never the data. */
  | { at: 'unreadable'; flow?: FlowName; step?: string; issues: string[] };

/** The step a new or restarted conversation stands at (domain/messaging/conversations.ts). */
const NO_STEP = 'start';

/** The flows the engine knows, by name. */
export class FlowRegistry {
  private readonly byName = new Map<string, Flow>();

  /** One flow for every name (the compiler holds the list complete), each under its own name. */
  constructor(flows: Readonly<Record<FlowName, Flow>>) {
    for (const [name, flow] of Object.entries(flows)) {
      if (flow.name !== name) throw new Error(`The flow "${flow.name}" is listed as "${name}"`);
      this.byName.set(name, flow);
    }
  }

  flow(name: FlowName): Flow {
    const flow = this.byName.get(name);
    if (!flow) throw new Error(`No flow is named "${name}"`);
    return flow;
  }

  /** Whether `id` (`<flow>.<step>`) names a step of a known flow. */
  has(id: string): boolean {
    const [name, step] = splitStep(id);
    return Boolean(step && this.byName.get(name)?.steps[step]);
  }

  /** Where a stored state stands, its step's data parsed with the step's schema. */
  standing(state: ConversationState): Standing {
    if (state.step === NO_STEP) return { at: 'none' };
    const [name, stepName] = splitStep(state.step);
    const flow = this.byName.get(name);
    const step = stepName ? flow?.steps[stepName] : undefined;
    if (!flow || !step) return { at: 'unreadable', issues: ['unknown_step'] };
    const resumed = step.resume(state.data);
    if (resumed.ok) return { at: 'step', flow: flow.name, run: resumed.run };
    return { at: 'unreadable', flow: flow.name, step: stepName, issues: resumed.error.issues.map((i) => `${i.path.join('.') || '(data)'}:${i.code}`) };
  }
}

function splitStep(id: string): [string, string | undefined] {
  const dot = id.indexOf('.');
  return dot < 0 ? [id, undefined] : [id.slice(0, dot), id.slice(dot + 1)];
}
