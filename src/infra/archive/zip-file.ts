import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';

// A zip file written entry by entry (fflate, streaming): only one entry's content is in memory at a
// time. Written as `<name>.partial-…` beside the target, flushed, then renamed, mode 0600. A
// manifest.json listing every file with its SHA-256 and size closes the archive.

export interface ZipSource {
  path: string;
  description: string;
  read(): Promise<Uint8Array>;
}

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
  description: string;
}

/** Media and office files are compressed already: stored as they are. */
const compressible = (path: string) => /\.(json|txt|csv|html|xml)$/.test(path);

/**
 * Writes `sources` and then `manifest.json` (built from the files written) to `target`. Refuses to
 * overwrite an existing file unless `overwrite`.
 */
export async function writeZipFile(
  target: string,
  sources: ZipSource[],
  manifest: (files: ManifestFile[]) => Record<string, unknown>,
  options: { overwrite?: boolean; mtime?: Date } = {},
): Promise<{ path: string; bytes: number; files: ManifestFile[] }> {
  const partial = join(dirname(target), `.${randomBytes(6).toString('hex')}.partial`);
  const fd = openSync(partial, 'wx', 0o600);
  let written = 0;
  let failure: Error | null = null;
  let finished = false;
  const zip = new Zip((error, chunk, final) => {
    if (error) failure = error;
    else {
      writeSync(fd, chunk);
      written += chunk.byteLength;
    }
    if (final) finished = true;
  });
  const mtime = options.mtime ?? new Date();
  const add = (path: string, bytes: Uint8Array) => {
    const entry = compressible(path) ? new ZipDeflate(path, { level: 6 }) : new ZipPassThrough(path);
    entry.mtime = mtime;
    zip.add(entry);
    entry.push(bytes, true);
    if (failure) throw failure;
  };
  try {
    const files: ManifestFile[] = [];
    for (const source of sources) {
      const bytes = await source.read();
      add(source.path, bytes);
      files.push({ path: source.path, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength, description: source.description });
    }
    add('manifest.json', new TextEncoder().encode(`${JSON.stringify({ ...manifest(files), files }, null, 2)}\n`));
    zip.end();
    if (failure) throw failure;
    if (!finished) throw new Error('the zip archive did not finish');
    fsyncSync(fd);
    closeSync(fd);
    if (options.overwrite) renameSync(partial, target);
    else {
      // link() refuses an existing target (EEXIST) where rename() would replace it.
      linkSync(partial, target);
      rmSync(partial);
    }
    return { path: target, bytes: written, files };
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(partial, { force: true });
    throw error;
  }
}
