import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbedded } from '../../src/infra/db/database.js';
import { stopEmbeddedServer } from '../../src/infra/db/embedded-server.js';
import { ensurePrivateDirectory, looseEntries, tightenTree } from '../../src/infra/private-directory.js';
import { FileDocumentStore } from '../../src/infra/storage/file-document-store.js';

// ROSHNI_HOME: whoever can read it can read the clinic's data, so it is its owner's alone.
describe('ROSHNI_HOME is created for its owner only', () => {
  const made: string[] = [];
  afterEach(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

  it('creates a missing home, and the folders above it, with mode 0700 whatever the umask', () => {
    const parent = mkdtempSync(join(tmpdir(), 'roshni-private-'));
    made.push(parent);
    const old = process.umask(0o002);
    try {
      ensurePrivateDirectory(join(parent, 'a', 'home'));
    } finally {
      process.umask(old);
    }
    expect(mode(join(parent, 'a'))).toBe('700');
    expect(mode(join(parent, 'a', 'home'))).toBe('700');
  });

  it('leaves a home others may only pass through (0711) as it is, and calls it private', () => {
    const home = mkdtempSync(join(tmpdir(), 'roshni-private-'));
    made.push(home);
    chmodSync(home, 0o711);
    ensurePrivateDirectory(home);
    expect(mode(home)).toBe('711');
    expect(looseEntries(home)).toEqual([]);
    chmodSync(home, 0o751);
    ensurePrivateDirectory(home);
    expect(mode(home)).toBe('700');
  });
});

describe("what lies under ROSHNI_HOME is its owner's alone, whatever the parent's mode", () => {
  const made: string[] = [];
  afterEach(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
  /** A home made by hand, open to the group and others. */
  const openHome = () => {
    const home = mkdtempSync(join(tmpdir(), 'roshni-private-'));
    made.push(home);
    chmodSync(home, 0o755);
    return home;
  };

  it('finds every loose file and directory of a tree, and tightens them to 0600 and 0700', () => {
    const root = join(openHome(), 'data');
    mkdirSync(join(root, 'base', '1'), { recursive: true, mode: 0o755 });
    writeFileSync(join(root, 'base', '1', '1259'), 'x', { mode: 0o666 });
    writeFileSync(join(root, 'PG_VERSION'), '17', { mode: 0o600 });
    chmodSync(join(root, 'base', '1', '1259'), 0o666);
    expect(looseEntries(root).map((e) => [e.path.slice(root.length), e.kind, e.mode.toString(8)])).toEqual([
      ['', 'directory', '755'],
      ['/base', 'directory', '755'],
      ['/base/1', 'directory', '755'],
      ['/base/1/1259', 'file', '666'],
    ]);
    tightenTree(root);
    expect(looseEntries(root)).toEqual([]);
    expect([mode(root), mode(join(root, 'base', '1')), mode(join(root, 'base', '1', '1259')), mode(join(root, 'PG_VERSION'))]).toEqual([
      '700',
      '700',
      '600',
      '600',
    ]);
    expect(looseEntries(join(root, 'missing'))).toEqual([]);
  });

  it('keeps documents 0600 in 0700 folders, tightening a documents folder made by hand', async () => {
    const dir = join(openHome(), 'documents');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const store = new FileDocumentStore(dir, 1024 * 1024);
    const sha = createHash('sha256').update('report').digest('hex');
    await store.put(sha, Buffer.from('report'));
    expect(looseEntries(dir)).toEqual([]);
  });

  it("keeps the embedded database's files 0600 and its folders 0700 in a home made 0755", { timeout: 90_000 }, async () => {
    const home = openHome();
    const database = await openEmbedded(home);
    try {
      await sql`CREATE TABLE made_while_open (id int)`.execute(database.db);
      expect(looseEntries(join(home, 'pg'))).toEqual([]);
      // As root, the server's 'postgres' user must pass through the home: 0711, never more.
      expect(mode(home)).toBe(process.getuid?.() === 0 ? '711' : '700');
    } finally {
      await database.close();
      await stopEmbeddedServer(home);
    }
  });
});
