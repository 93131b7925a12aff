import type { Benchmark } from '../support/benchmark.js';
import { availability } from './availability.js';
import { backupBench } from './backup.js';
import { botEngine } from './bot-engine.js';
import { botLoad } from './bot-load.js';
import { bookingInserts } from './booking-inserts.js';
import { cliRead } from './cli-read.js';
import { cliStartup } from './cli-startup.js';
import { demoBench } from './demo.js';
import { notificationsBench } from './notifications.js';
import { sessionOverhead } from './session-overhead.js';

/** Every benchmark, in the order they run. A new benchmark is one file here plus one line below. */
export const benchmarks: readonly Benchmark[] = [
  bookingInserts,
  availability,
  cliStartup,
  cliRead,
  demoBench,
  sessionOverhead,
  botEngine,
  botLoad,
  notificationsBench,
  backupBench,
];
