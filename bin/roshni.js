#!/usr/bin/env node
// Runs the bundled CLI (built by `npm install` through the prepare script: tsc, then scripts/bundle-cli.mjs).
// With --debug, stack traces name the TypeScript sources (the bundle's source maps).
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
// Node 21 and later have navigator.userAgent; on Node 20, pg's check for Cloudflare Workers instead
// builds a fetch Response, which loads undici (about 40 ms of every command that reads the database).
if (globalThis.navigator === undefined) {
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
    configurable: true,
    writable: true,
  });
}
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli/main.js')) throw error;
  process.stderr.write('roshni: the CLI is not built yet. Run `npm install` (or `npm run build`) in the Roshni folder.\n');
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
