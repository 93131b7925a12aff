#!/usr/bin/env node
// Runs the bundled CLI (built by `npm install` through the prepare script: tsc, then scripts/bundle-cli.mjs).
// `roshni`, `--help` and `--version` run no command: they load dist/cli/no-command/main.js alone.
// A command runs from dist/cli/roshni.cjs with V8's code cache: each command group's first successful run leaves in
// dist/cli/code-cache/ what V8 compiled for it, and later runs of that group start from it instead of
// parsing and compiling the bundle again (about a fifth of what `roshni today` costs without it).
// The cache is named after the bundle's size and time, so a rebuilt bundle never meets an old cache;
// V8 itself refuses a cache from another Node version or other flags, and it is then written again.
// Where dist/ is not writable nothing is cached, and everything works as well, more slowly; ROSHNI_CODE_CACHE
// names another folder (one only its user can write: what is in it runs), or `off`.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const bundle = fileURLToPath(new URL('../dist/cli/roshni.cjs', import.meta.url));
const argv = process.argv.slice(2);
const debug = argv.includes('--debug');

// Node 21 and later have navigator.userAgent; on Node 20, pg's check for Cloudflare Workers instead
// builds a fetch Response, which loads undici (about 40 ms of every command that reads the database).
if (globalThis.navigator === undefined) {
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` },
    configurable: true,
    writable: true,
  });
}

let built;
try {
  built = statSync(bundle);
} catch (error) {
  if (error?.code !== 'ENOENT') throw error;
  process.stderr.write('roshni: the CLI is not built yet. Run `npm install` (or `npm run build`) in the Roshni folder.\n');
  process.exit(1);
}
/** The command group named (`today`, `patient`), or undefined when no command is run. */
const group = argv.find((a) => !a.startsWith('-'));

/** The bundle's exports, compiled from the code cache when there is one for this group. */
function loadBundle(cacheFile) {
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // esbuild writes the bundle in ASCII (charset: 'ascii'): read as latin1, it needs no UTF-8 decoding.
  const source = readFileSync(bundle, 'latin1');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  const keep = () => {
    if (cachedData !== undefined && !script.cachedDataRejected) return;
    const partial = `${cacheFile}.${process.pid}`;
    try {
      mkdirSync(dirname(cacheFile), { recursive: true });
      writeFileSync(partial, script.createCachedData());
      renameSync(partial, cacheFile);
    } catch {
      // A read-only installation or a full disk: the next run compiles again.
      try {
        rmSync(partial, { force: true });
      } catch {
        // Nothing was written.
      }
    }
  };
  return { main: module.exports.main, keep };
}

let main;
let keepCache = () => {};
// With --debug, stack traces name the TypeScript sources: Node's own loaders apply the bundles' source maps.
if (debug) process.setSourceMapsEnabled(true);
if (group === undefined) {
  ({ main } = await import('../dist/cli/no-command/main.js'));
} else if (debug || process.env.ROSHNI_CODE_CACHE === 'off') {
  ({ main } = createRequire(import.meta.url)(bundle));
} else {
  const cacheDir = process.env.ROSHNI_CODE_CACHE || join(dirname(bundle), 'code-cache');
  const cacheName = group.replace(/[^a-z-]/g, '') || 'other';
  ({ main, keep: keepCache } = loadBundle(join(cacheDir, `${cacheName}-${built.size}-${Math.trunc(built.mtimeMs)}.bin`)));
}
process.exitCode = await main(argv);
// Only a run that went through its command's ordinary path is worth starting the next from.
if (process.exitCode === 0) keepCache();
