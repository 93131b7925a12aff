import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensurePrivateDirectory } from '../../src/infra/private-directory.js';

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
});
