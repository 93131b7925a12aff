import { fileTypeFromBuffer } from 'file-type';
import { InvalidInputError } from '../errors.js';

// What a file really is, told by its content (magic bytes, via the file-type package), never by its
// name: a program renamed "report.pdf" is still a program. Roshni keeps PDFs, images, audio, video
// and office documents; everything else is refused before anything is written.

export interface FileKind {
  mimeType: string;
  /** The usual extension of that type (for names Roshni makes itself, never taken from the file's name). */
  extension: string;
}

const OFFICE: Record<string, string> = {
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
  'application/msword': 'doc',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.ms-powerpoint': 'ppt',
};

/** Images that are pictures only: SVG (which can carry scripts) is never detected, so never allowed. */
const allowedMime = (mime: string) => mime === 'application/pdf' || mime in OFFICE || /^(image|audio|video)\/[a-z0-9.+-]+$/.test(mime);

/**
 * Legacy Word/Excel/PowerPoint files are OLE compound files, a container that installers (.msi) use
 * too; the stream naming the application inside tells them apart.
 */
function legacyOffice(bytes: Uint8Array): string | null {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const has = (name: string) => buffer.indexOf(Buffer.from(name, 'utf16le')) >= 0;
  if (has('WordDocument')) return 'application/msword';
  if (has('Workbook') || has('Book\u0000')) return 'application/vnd.ms-excel';
  if (has('PowerPoint Document')) return 'application/vnd.ms-powerpoint';
  return null;
}

const PROGRAMS = new Set(['exe', 'elf', 'mach', 'msi', 'apk', 'deb', 'rpm', 'class', 'wasm', 'dex']);

export const ALLOWED_KINDS_TEXT = 'PDF, images, audio, video and office documents (docx, xlsx, pptx, odt, doc, xls)';

function refuse(what: string, detected: string | null): never {
  throw new InvalidInputError(`${what}; Roshni keeps ${ALLOWED_KINDS_TEXT}.`, { reason: 'type_not_allowed', detected });
}

/** The file's type from its content, or a refusal saying what it is and what is kept. */
export async function detectFileKind(bytes: Uint8Array): Promise<FileKind> {
  const found = await fileTypeFromBuffer(bytes);
  if (!found) refuse("The file's type cannot be recognised from its content (plain text or an unknown format)", null);
  if (found.mime === 'application/x-cfb') {
    const mime = legacyOffice(bytes);
    if (mime) return { mimeType: mime, extension: OFFICE[mime]! };
    refuse('By its content the file is a compound file (an installer, perhaps) but not a Word, Excel or PowerPoint one', found.mime);
  }
  if (!allowedMime(found.mime)) {
    refuse(`By its content the file is ${PROGRAMS.has(found.ext) ? `a program (${found.ext})` : `${found.mime} (.${found.ext})`}, not a document`, found.mime);
  }
  return { mimeType: found.mime, extension: OFFICE[found.mime] ?? found.ext };
}

/** An extension for a stored MIME type (for file names Roshni makes: exports, `doc get`). */
export function extensionOf(mimeType: string): string {
  if (mimeType in OFFICE) return OFFICE[mimeType]!;
  if (mimeType === 'application/pdf') return 'pdf';
  const sub = (mimeType.split('/')[1] ?? '').replace(/^x-/, '').replace(/[^a-z0-9]/g, '');
  const known: Record<string, string> = { jpeg: 'jpg', quicktime: 'mov', mpeg: mimeType.startsWith('audio/') ? 'mp3' : 'mpg', matroska: 'mkv', m4a: 'm4a' };
  return known[sub] ?? (sub.slice(0, 8) || 'bin');
}
