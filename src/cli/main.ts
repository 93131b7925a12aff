import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { commandGroups, findGroup, type RunCommand } from './command-groups.js';
import { ExitCode } from './exit-codes.js';
import { nameOptionsInValueErrors } from './option-errors.js';
import { processIO, writeLine, writeText, type CliIO, type CommandEnv } from './io.js';
import { reportError } from './report-error.js';
import { version } from './version.js';

/** "backup create": the command's name under `roshni`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Runs one `roshni` invocation and resolves to its exit code. Never calls process.exit. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const debug = argv.includes('--debug');

  const program = new Command('roshni')
    .description('Roshni: the operations toolkit of a therapy clinic')
    .version(version, '-V, --version')
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--debug', 'show stack traces of unexpected errors')
    .showSuggestionAfterError()
    // Every command's own --help lists --json and --debug (they are the program's, taken by every command).
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => writeText(io.stdout, text),
      writeErr: (text) => writeText(io.stderr, text),
    })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 unexpected, 2 invalid input, 3 not found, 4 conflict, 5 forbidden, 6 configuration, 7 database,\n' +
        '8 disk full, 9 not signed in, 10 audit chain broken, 11 partly done (the README says more of each).',
    );

  const run: RunCommand =
    (handler) =>
    async (...args) => {
      const command = args.at(-1) as Command;
      const options = command.optsWithGlobals() as { json?: boolean; debug?: boolean };
      const env: CommandEnv = {
        io,
        json: Boolean(options.json),
        debug: Boolean(options.debug),
        interactive: Boolean(io.stdin.isTTY) && !options.json,
        command: commandPath(command),
      };
      // Commander prints its own parse errors; a value parser called inside a handler has no one to
      // print it, so its refusal becomes an ordinary invalid-input error with its message.
      exitCode = await handler(env, ...args).catch((error: unknown) => {
        if (!(error instanceof InvalidArgumentError)) throw error;
        writeLine(io.stderr, `roshni: ${error.message}`);
        return ExitCode.invalidInput;
      });
    };

  const group = findGroup(argv.find((a) => !a.startsWith('-')));
  if (group) {
    (await group.load()).register(program, run);
    nameOptionsInValueErrors(program);
  } else {
    for (const entry of commandGroups) {
      for (const [name, description] of Object.entries(entry.commands)) {
        program.command(name).description(description).helpOption(false).allowUnknownOption();
      }
    }
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return ExitCode.ok;
    return reportError(io, error, debug);
  }
}
