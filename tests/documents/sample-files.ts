import { strToU8, zipSync } from 'fflate';

// Small files of each kind, made here: what matters is their first bytes, as a real file's.

export const pdf = (text = 'report') => Buffer.from(`%PDF-1.4\n% ${text}\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n`);

export const png = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

/** A Windows program: "MZ", then a PE header's worth of zeros. */
export const windowsProgram = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(254)]);

/** A Linux program (ELF). */
export const linuxProgram = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);

const contentTypes = (main: string) =>
  strToU8(
    `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="${main}"/></Types>`,
  );

export const docx = Buffer.from(
  zipSync({
    '[Content_Types].xml': contentTypes('application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml'),
    'word/document.xml': strToU8('<w:document/>'),
  }),
);

/** An OLE compound file: the container of legacy .doc/.xls files, and of .msi installers. */
function compoundFile(stream: string): Buffer {
  const header = Buffer.alloc(1024);
  Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(header, 0);
  Buffer.from(stream, 'utf16le').copy(header, 600);
  return header;
}
export const legacyWord = compoundFile('WordDocument');
export const installer = compoundFile('\u0005SummaryInformation');
