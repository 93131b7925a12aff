// The fake Bot API lives with the benchmarks (the bot-load benchmark drives `roshni start` through it);
// tests import it from here as before.
export * from '../../bench/support/fake-telegram.js';
