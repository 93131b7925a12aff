import type { Command } from 'commander';
import type { CommandEnv } from './io.js';

/** What a command group module exports: it adds its commands to the program. */
export interface CommandGroup {
  register(program: Command, run: RunCommand): void;
}

/** Wraps a handler: builds the CommandEnv, runs it, and records its exit code. */
export type RunCommand = <A extends unknown[]>(
  handler: (env: CommandEnv, ...args: A) => Promise<number>,
) => (...args: A) => Promise<void>;

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
  { commands: { today: "Today's appointments, per therapist" }, load: () => import('../commands/today.js') },
  { commands: { config: 'Show the configuration (secrets masked)' }, load: () => import('../commands/config.js') },
];

export function findGroup(name: string | undefined): GroupEntry | undefined {
  return name ? commandGroups.find((g) => name in g.commands) : undefined;
}
