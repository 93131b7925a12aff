import type { Command } from 'commander';
import type { RunCommand } from '../cli/command-groups.js';
import { emit, table } from '../cli/output.js';
import { describeConfig, loadConfig } from '../infra/config.js';

export function register(program: Command, run: RunCommand): void {
  const config = program.command('config').description('Show the configuration (secrets masked)');
  config
    .command('show')
    .description('Print the effective configuration; secrets are masked')
    .action(
      run(async (env) => {
        const values = describeConfig(loadConfig(env.io.env));
        emit(env, values, () =>
          table(
            ['Variable', 'Value'],
            Object.entries(values).map(([k, v]) => [k, String(v)]),
          ),
        );
        return 0;
      }),
    );
}
