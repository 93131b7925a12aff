import type { Readable } from 'node:stream';

// The POSIX ustar format, the little of it an embedded backup needs: regular files and directories
// with relative names. Node has no tar of its own and a data directory needs no more.

const BLOCK = 512;
const NAME_LENGTH = 100;
const PREFIX_LENGTH = 155;
const MAX_SIZE = 8 ** 11 - 1; // eleven octal digits: a PostgreSQL file is at most 1 GiB

export type TarEntryType = 'file' | 'directory';

export class TarFormatError extends Error {
  constructor(detail: string) {
    super(`not a readable archive (${detail})`);
    this.name = 'TarFormatError';
  }
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** A name as ustar holds it: up to 100 bytes, or a prefix of up to 155 cut at a slash and the rest. */
function splitName(name: string): { prefix: string; name: string } {
  if (Buffer.byteLength(name) <= NAME_LENGTH) return { prefix: '', name };
  for (let cut = name.lastIndexOf('/'); cut > 0; cut = name.lastIndexOf('/', cut - 1)) {
    const prefix = name.slice(0, cut);
    const rest = name.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= PREFIX_LENGTH && Buffer.byteLength(rest) <= NAME_LENGTH && rest) return { prefix, name: rest };
  }
  throw new Error(`The name ${name} is too long for a tar archive.`);
}

/** The 512-byte header of one entry (a directory's name ends with '/'). */
export function tarHeader(entry: { name: string; type: TarEntryType; size: number; mode: number; mtime: Date }): Buffer {
  if (entry.size > MAX_SIZE) throw new Error(`${entry.name} is too large for a tar archive.`);
  const header = Buffer.alloc(BLOCK);
  const { prefix, name } = splitName(entry.name);
  header.write(name, 0, NAME_LENGTH, 'utf8');
  header.write(octal(entry.mode & 0o7777, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(entry.type === 'file' ? entry.size : 0, 12), 124, 'ascii');
  header.write(octal(Math.floor(entry.mtime.getTime() / 1000), 12), 136, 'ascii');
  header.write(' '.repeat(8), 148, 'ascii');
  header.write(entry.type === 'file' ? '0' : '5', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write(prefix, 345, PREFIX_LENGTH, 'utf8');
  header.write(octal(checksum(header), 7) + ' ', 148, 'ascii');
  return header;
}

/** Zeros after a file's bytes up to the next block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** Two zero blocks: the end of the archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

function field(header: Buffer, start: number, length: number): string {
  const bytes = header.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? length : end).toString('utf8');
}

function readOctal(header: Buffer, start: number, length: number): number {
  const text = field(header, start, length).trim();
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError('a header field is not a number');
  return Number.parseInt(text, 8);
}

export interface TarEntry {
  name: string;
  type: TarEntryType;
  mode: number;
  size: number;
}

/** Reads exactly `size` bytes from the stream's chunks, the leftover kept for the next read. */
class ChunkReader {
  private buffered: Buffer[] = [];
  private length = 0;
  private readonly chunks: AsyncIterator<Buffer>;
  constructor(source: Readable) {
    this.chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }
  async take(size: number): Promise<Buffer> {
    while (this.length < size) {
      const next = await this.chunks.next();
      if (next.done) throw new TarFormatError('it ends too soon');
      this.buffered.push(next.value);
      this.length += next.value.length;
    }
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    this.buffered = all.length > size ? [all.subarray(size)] : [];
    this.length = all.length - size;
    return all.subarray(0, size);
  }
}

/** Where an entry's contents go, in pieces, then closed. */
export interface TarSink {
  write(chunk: Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * Each entry of the archive in turn, with its contents handed to the sink `onEntry` gives, in pieces. Names are checked
 * (relative, no '..'), as are the headers' checksums; an archive without its end, or with an entry
 * other than a file or a directory, is refused.
 */
export async function readTar(source: Readable, onEntry: (entry: TarEntry) => Promise<TarSink>): Promise<number> {
  const reader = new ChunkReader(source);
  let entries = 0;
  for (;;) {
    const header = await reader.take(BLOCK);
    if (header.every((byte) => byte === 0)) {
      await reader.take(BLOCK);
      return entries;
    }
    if (readOctal(header, 148, 8) !== checksum(header)) throw new TarFormatError('a header checksum does not match');
    const prefix = field(header, 345, PREFIX_LENGTH);
    const name = (prefix ? `${prefix}/` : '') + field(header, 0, NAME_LENGTH);
    const flag = String.fromCharCode(header[156]!);
    const type: TarEntryType | null = flag === '0' || flag === '\0' ? 'file' : flag === '5' ? 'directory' : null;
    if (!type) throw new TarFormatError(`an entry of type ${JSON.stringify(flag)}`);
    const clean = name.replace(/\/+$/, '');
    if (!clean || clean.startsWith('/') || clean.split('/').some((part) => part === '..' || part === ''))
      throw new TarFormatError(`the name ${JSON.stringify(name)}`);
    const size = type === 'file' ? readOctal(header, 124, 12) : 0;
    const sink = await onEntry({ name: clean, type, mode: readOctal(header, 100, 8), size });
    try {
      for (let left = size; left > 0;) {
        const piece = await reader.take(Math.min(left, 1 << 20));
        await sink.write(piece);
        left -= piece.length;
      }
    } finally {
      await sink.close();
    }
    await reader.take(tarPadding(size).length);
    entries += 1;
  }
}
