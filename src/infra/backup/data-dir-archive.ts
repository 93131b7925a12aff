import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, readdir, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { createGzip, constants as zlib } from 'node:zlib';
import { TAR_END, tarHeader, tarPadding } from './ustar.js';

// A running PostgreSQL's data directory written as a gzipped tar, as PostgreSQL's "Making a Base
// Backup Using the Low Level API" says: its files as they are (pages torn by writes meanwhile are
// mended by the WAL replay), without what the server makes again or must not find on start.

/** Directories whose contents are left out (the directory itself is kept, empty). */
const EMPTIED = new Set(['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans']);
/** Files of the top directory left out: the running server's own, and a backup's label (written from pg_backup_stop's answer). */
const LEFT_OUT = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'backup_label.old', 'tablespace_map', 'tablespace_map.old']);

const READ_CHUNK = 1 << 20;

export class DataDirArchive {
  private readonly gzip = createGzip({ level: zlib.Z_BEST_SPEED });
  private readonly done: Promise<void>;

  constructor(path: string) {
    const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    this.gzip.pipe(out);
    this.done = finished(out);
    this.done.catch(() => {}); // awaited by finish()
  }

  private async write(chunk: Buffer): Promise<void> {
    if (!this.gzip.write(chunk)) await Promise.race([once(this.gzip, 'drain'), this.done]);
  }

  /** Every file and directory under `dataDir` but those left out, named relative to it. */
  async addDataDirectory(dataDir: string): Promise<void> {
    const visit = async (relative: string): Promise<void> => {
      let names: string[];
      try {
        names = (await readdir(join(dataDir, relative))).sort();
      } catch (error) {
        if (gone(error)) return;
        throw error;
      }
      for (const name of names) {
        const path = relative ? `${relative}/${name}` : name;
        if (!relative && LEFT_OUT.has(name)) continue;
        if (name.startsWith('pgsql_tmp') || name === 'pg_internal.init') continue;
        let stat;
        try {
          stat = await lstat(join(dataDir, path));
        } catch (error) {
          if (gone(error)) continue;
          throw error;
        }
        if (stat.isDirectory()) {
          await this.write(tarHeader({ name: `${path}/`, type: 'directory', size: 0, mode: 0o700, mtime: stat.mtime }));
          if (!(EMPTIED.has(path) || path.startsWith('pg_wal/'))) await visit(path);
        } else if (stat.isFile()) {
          await this.addFile(path, join(dataDir, path));
        } else if (stat.isSymbolicLink() && path.startsWith('pg_tblspc/')) {
          throw new Error('The embedded database has a tablespace, which its backups do not hold.');
        }
      }
    };
    await visit('');
  }

  /**
   * One file, as long as it was when opened: one that shrinks meanwhile is padded with zeros, one that
   * grows is cut (the WAL replay writes both right); one removed meanwhile is left out, as a dropped table's is.
   */
  async addFile(name: string, path: string): Promise<void> {
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (gone(error)) return;
      throw error;
    }
    try {
      const { size, mtime } = await handle.stat();
      await this.write(tarHeader({ name, type: 'file', size, mode: 0o600, mtime }));
      for (let offset = 0; offset < size;) {
        const buffer = Buffer.alloc(Math.min(READ_CHUNK, size - offset));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        await this.write(bytesRead === 0 ? buffer : buffer.subarray(0, bytesRead));
        offset += bytesRead === 0 ? buffer.length : bytesRead;
      }
      await this.write(tarPadding(size));
    } finally {
      await handle.close();
    }
  }

  /** A file made from memory (backup_label, tablespace_map). */
  async addContents(name: string, contents: Buffer): Promise<void> {
    await this.write(tarHeader({ name, type: 'file', size: contents.length, mode: 0o600, mtime: new Date() }));
    await this.write(contents);
    await this.write(tarPadding(contents.length));
  }

  /** The archive's end, written out (a spool: not synced, it is read back at once). */
  async finish(): Promise<void> {
    await this.write(TAR_END);
    this.gzip.end();
    await this.done;
  }

  /** Stops writing (the file is the caller's to remove). */
  abort(): void {
    this.gzip.destroy();
  }
}

function gone(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}
