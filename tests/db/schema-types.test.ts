import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const schemaFile = 'src/infra/db/schema.ts';

/**
 * The kysely-codegen arguments of scripts/generate-db-types.sh, so that this test and the
 * script can never disagree. Understands the little shell the script uses: quotes,
 * line continuations, $VARIABLES, and "$@" (which this test leaves empty).
 */
function generatorArguments(variables: Record<string, string>): string[] {
  const script = readFileSync(join(root, 'scripts/generate-db-types.sh'), 'utf8').replace(/\\\n/g, ' ');
  const command = /^\s*(?:exec\s+)?npx kysely-codegen\s+(.*)$/m.exec(script)?.[1];
  if (!command) throw new Error('scripts/generate-db-types.sh no longer runs `npx kysely-codegen`');
  const expand = (text: string) =>
    text.replace(/\$\{?(\w+)\}?/g, (_, name: string) => {
      const value = variables[name];
      if (value === undefined) throw new Error(`generate-db-types.sh uses $${name}, unknown to this test`);
      return value;
    });
  return (command.match(/(?:'[^']*'|"[^"]*"|[^\s'"])+/g) ?? [])
    .filter((word) => word !== '"$@"')
    .map((word) =>
      word.replace(/'([^']*)'|"([^"]*)"|([^'"]+)/g, (_, single?: string, double?: string, bare?: string) => single ?? expand(double ?? bare ?? '')),
    );
}

function kyselyCodegen(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['--no-install', 'kysely-codegen', ...args], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

function withOutFile(args: string[], outFile: string): string[] {
  const at = args.indexOf('--out-file');
  if (at < 0 || args[at + 1] !== schemaFile) throw new Error(`generate-db-types.sh no longer writes ${schemaFile}`);
  return args.map((arg, i) => (i === at + 1 ? outFile : arg));
}

describe(`${schemaFile}`, () => {
  let database: TestDatabase;
  let args: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    args = [...generatorArguments({ DATABASE_URL: database.url }), '--verify'];
  });
  afterAll(() => database?.close());

  it('matches the migrated schema (regenerate with scripts/generate-db-types.sh)', async () => {
    const { code, output } = await kyselyCodegen(args);
    expect(output).toContain('up-to-date');
    expect(code, output).toBe(0);
  });

  it('would be reported as drifted if it differed from the schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roshni-schema-'));
    try {
      const drifted = join(dir, 'schema.ts');
      const current = readFileSync(join(root, schemaFile), 'utf8');
      writeFileSync(drifted, current.replace(/^(\s+)full_name: string;$/m, '$1full_name: string | null;'));
      expect(readFileSync(drifted, 'utf8')).not.toBe(current);

      const { code, output } = await kyselyCodegen(withOutFile(args, drifted));
      expect(code, output).not.toBe(0);
      expect(output).toContain('not up-to-date');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
