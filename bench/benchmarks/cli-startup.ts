import type { Benchmark } from '../support/benchmark.js';
import { timeAlternating } from '../support/node-process.js';
import { median } from '../support/stats.js';

// How long `roshni --help` takes to start, against a bare Node start-up on the same machine.

const RUNS = 15;
const WARMUPS = 2;

const COMMANDS = {
  bare: { args: ['-e', ''] },
  roshni: { args: ['bin/roshni.js', '--help'] },
};

export const cliStartup: Benchmark = {
  name: 'cli-startup',
  description: '`node bin/roshni.js --help` against `node -e ""`',
  needsDatabase: false,
  async run(env) {
    env.log(`cli start-up: ${WARMUPS} warm-ups, then ${RUNS} runs of each, alternating`);
    const times = timeAlternating(COMMANDS, { warmups: WARMUPS, runs: RUNS });
    const roshni = median(times.roshni);
    const bare = median(times.bare);
    return [
      {
        name: 'cli-startup/help',
        unit: 'ms',
        measured: roshni,
        baseline: bare,
        baselineLabel: 'node -e ""',
        better: 'lower',
        targetRatio: 1.5,
        notes:
          `median of ${RUNS}; roshni adds ${(roshni - bare).toFixed(1)} ms; ` +
          `range roshni ${Math.min(...times.roshni).toFixed(1)}–${Math.max(...times.roshni).toFixed(1)} ms, ` +
          `bare ${Math.min(...times.bare).toFixed(1)}–${Math.max(...times.bare).toFixed(1)} ms`,
      },
    ];
  },
};
