/** Resolves with the first SIGINT or SIGTERM, for long-running commands that stop gracefully. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * The last resort of a graceful stop: if the process is still alive `ms` from now (something would
 * not let go: a connection that never answers, a browser that does not close), says so and exits.
 * The timer does not itself keep the process alive.
 */
export function exitIfStillRunningAfter(ms: number, sayWhy: () => void): void {
  setTimeout(() => {
    sayWhy();
    process.exit();
  }, ms).unref();
}
