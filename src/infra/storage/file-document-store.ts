import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SHA256_PATTERN, type DocumentStore } from '../../domain/documents/document-store.js';
import type { Config } from '../config.js';
import { ensurePrivateDirectory } from '../private-directory.js';

// Documents on disk: <dir>/ab/cdef… (the SHA-256 of the content, split after two characters so no
// folder grows too large). A file is written to <dir>/.tmp, flushed, and only then renamed into
// place, so a crash never leaves half a document under a hash. Files 0600, folders 0700.

const TMP = '.tmp';

function blobPath(dir: string, sha256: string): string {
  // The hash is the only thing a path is made of; anything else is a programming error.
  if (!SHA256_PATTERN.test(sha256)) throw new Error(`not a SHA-256: ${JSON.stringify(sha256)}`);
  return join(dir, sha256.slice(0, 2), sha256.slice(2));
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

export class FileDocumentStore implements DocumentStore {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  async put(sha256: string, bytes: Uint8Array): Promise<{ created: boolean }> {
    const target = blobPath(this.dir, sha256);
    if (await exists(target)) return { created: false };
    ensurePrivateDirectory(this.dir); // its owner's alone, whatever its parent's mode
    const tmpDir = join(this.dir, TMP);
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const tmp = join(tmpDir, `${sha256}.${randomBytes(6).toString('hex')}`);
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await mkdir(join(this.dir, sha256.slice(0, 2)), { recursive: true, mode: 0o700 });
      await rename(tmp, target);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    return { created: true };
  }

  async get(sha256: string): Promise<Uint8Array | null> {
    try {
      return await readFile(blobPath(this.dir, sha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(sha256: string): Promise<void> {
    await rm(blobPath(this.dir, sha256), { force: true });
  }

  /** Proves the store can be written: a file in its temporary folder, written and removed (for `roshni health`). */
  async probe(): Promise<void> {
    ensurePrivateDirectory(this.dir); // its owner's alone, whatever its parent's mode
    const tmpDir = join(this.dir, TMP);
    await mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const probe = join(tmpDir, `.health-${process.pid}-${randomBytes(4).toString('hex')}`);
    const handle = await open(probe, 'wx', 0o600);
    await handle.close();
    await rm(probe, { force: true });
  }
}

/** The store the configuration names: ROSHNI_DOCUMENTS_DIR (default ROSHNI_HOME/documents), ROSHNI_MAX_DOCUMENT_MB. */
export function documentStoreFor(config: Config): FileDocumentStore {
  return new FileDocumentStore(config.documentsDir, config.env.ROSHNI_MAX_DOCUMENT_MB * 1024 * 1024);
}
