// @ts-check
// The shape the build keeps (README, "Architecture"): the domain holds the rules, the doors (the CLI
// in src/commands with its shell src/cli, the bots in src/bot, the jobs in src/jobs, the HTTP
// endpoints in src/http) hold none and know nothing of one another, and only the domain, infra and
// migrations reach the database with Kysely. src/start assembles long-running processes from the
// doors and is the one place that may import more than one of them.
//
// Not type-aware: typescript-eslint's type-checked rules cost 93 s of CPU on this tree (17 s
// without), and `npm run typecheck` already runs the compiler over everything.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The Node.js globals the plain JavaScript files use (TypeScript checks its own files' names). */
const nodeGlobals = { console: 'readonly', process: 'readonly', URL: 'readonly', module: 'writable' };

const DOORS = ['commands', 'cli', 'bot', 'jobs', 'http'];

/** An import of another top-level folder of src/, from a file one or more folders below it. */
const intoSrc = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;

const noKysely = {
  name: 'kysely',
  message: 'Only src/domain, src/infra and migrations query the database: call a domain function.',
};

const doorMessage = 'A door does not import another door: move what both need into src/domain or src/infra (or the assembly into src/start).';

/** A door that queries the database directly: reads and writes go through domain functions. */
const noQueriesInDoors = {
  selector: 'CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|mergeInto|replaceInto)$/]',
  message: 'Doors hold no query: call a domain function (it checks the policy and writes the audit log).',
};

/**
 * The import rules of one folder of src/: none of the `forbidden` folders (static or `import()`),
 * and, for a door or src/start, neither Kysely nor a query of its own.
 */
function boundary(folder, forbidden, message) {
  const reachesDatabase = folder === 'domain' || folder === 'infra';
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { paths: reachesDatabase ? [] : [noKysely], patterns: [{ regex: intoSrc(forbidden), message }] }],
      'no-restricted-syntax': [
        'error',
        { selector: `ImportExpression[source.value=/${intoSrc(forbidden).replaceAll('/', '\\/')}/]`, message },
        ...(reachesDatabase ? [] : [noQueriesInDoors]),
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], languageOptions: { globals: nodeGlobals } },
  {
    rules: {
      // Matching terminal escape sequences and control characters is what src/infra/terminal-text.ts
      // and the tests of it exist to do.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Kysely's migration recipe: a migration (and what works below the app's schema: applying
    // migrations, backups and restores, the audit chain's anchors) takes Kysely<any>, never the
    // app's current DB type, which describes only the latest schema. So do the tests of them.
    files: [
      'migrations/**/*.ts',
      'src/infra/db/**/*.ts',
      'src/infra/backup/**/*.ts',
      'src/infra/audit/**/*.ts',
      'tests/db/**/*.ts',
      'tests/data-rights/export-coverage.test.ts',
    ],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  boundary('domain', [...DOORS, 'start'], 'The domain imports no door: it knows nothing of terminals, chats, jobs or HTTP.'),
  boundary('infra', [...DOORS, 'start'], 'Infra implements what the domain and the doors use; it imports no door.'),
  boundary('commands', ['bot', 'jobs', 'http'], doorMessage),
  boundary('cli', ['bot', 'jobs', 'http'], doorMessage),
  boundary('bot', ['commands', 'cli', 'jobs', 'http', 'start'], doorMessage),
  boundary('jobs', ['commands', 'cli', 'bot', 'http', 'start'], doorMessage),
  boundary('http', ['commands', 'cli', 'bot', 'jobs', 'start'], doorMessage),
  boundary('start', ['commands', 'cli'], 'src/start assembles processes for the CLI; it does not import the CLI.'),
);
