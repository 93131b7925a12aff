import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readTar, TAR_END, tarHeader, tarPadding, type TarEntry } from '../../src/infra/backup/ustar.js';

// The ustar writer and reader of embedded backups (src/infra/backup/ustar.ts): what is written reads
// back whole, and what a backup file must never bring (a name out of the data directory, a link, a
// damaged header, an archive cut short) is refused.

const at = new Date('2026-11-16T04:30:00.000Z');

function file(name: string, contents: Buffer): Buffer[] {
  return [tarHeader({ name, type: 'file', size: contents.length, mode: 0o600, mtime: at }), contents, tarPadding(contents.length)];
}

async function read(archive: Buffer, chunkSize = 700): Promise<Array<TarEntry & { contents: string }>> {
  const chunks = [];
  for (let i = 0; i < archive.length; i += chunkSize) chunks.push(archive.subarray(i, i + chunkSize));
  const entries: Array<TarEntry & { contents: string }> = [];
  await readTar(Readable.from(chunks), async (entry) => {
    const parts: Buffer[] = [];
    return {
      write: async (chunk) => void parts.push(Buffer.from(chunk)),
      close: async () => void entries.push({ ...entry, contents: Buffer.concat(parts).toString() }),
    };
  });
  return entries;
}

describe('ustar archives of a data directory', () => {
  it('reads back directories and files, long names and sizes that are not a multiple of a block', async () => {
    const deep = `base/16384/${'x'.repeat(90)}/${'y'.repeat(60)}`;
    const archive = Buffer.concat([
      tarHeader({ name: 'base/', type: 'directory', size: 0, mode: 0o700, mtime: at }),
      ...file('PG_VERSION', Buffer.from('17\n')),
      ...file(deep, Buffer.from('z'.repeat(1500))),
      ...file('global/pg_control', Buffer.alloc(0)),
      TAR_END,
    ]);
    expect(await read(archive)).toEqual([
      { name: 'base', type: 'directory', mode: 0o700, size: 0, contents: '' },
      { name: 'PG_VERSION', type: 'file', mode: 0o600, size: 3, contents: '17\n' },
      { name: deep, type: 'file', mode: 0o600, size: 1500, contents: 'z'.repeat(1500) },
      { name: 'global/pg_control', type: 'file', mode: 0o600, size: 0, contents: '' },
    ]);
  });

  it('refuses an archive cut short, a damaged header, a link and a name out of the directory', async () => {
    const whole = Buffer.concat([...file('PG_VERSION', Buffer.from('17\n')), TAR_END]);
    await expect(read(whole.subarray(0, 1024))).rejects.toThrow('it ends too soon');

    const damaged = Buffer.from(whole);
    damaged[10] = 0x41;
    await expect(read(damaged)).rejects.toThrow('a header checksum does not match');

    const link = tarHeader({ name: 'pg_tblspc/16400', type: 'file', size: 0, mode: 0o600, mtime: at });
    link.write('2', 156, 'ascii');
    link.write('        ', 148, 'ascii');
    let sum = 0;
    for (const byte of link) sum += byte;
    link.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    await expect(read(Buffer.concat([link, TAR_END]))).rejects.toThrow('an entry of type "2"');

    for (const name of ['../outside', '/etc/passwd', 'base/../../outside']) {
      await expect(read(Buffer.concat([...file(name, Buffer.from('x')), TAR_END]))).rejects.toThrow(`the name ${JSON.stringify(name)}`);
    }
  });
});
