import { describe, expect, it } from 'vitest';
import { safeDisplayName, documentName } from '../../src/domain/documents/document-fields.js';
import { detectFileKind, extensionOf } from '../../src/domain/documents/file-kind.js';
import { docx, installer, legacyWord, linuxProgram, pdf, png, windowsProgram } from './sample-files.js';

describe("a document's type, told by its content", () => {
  it('recognises PDFs, images and office documents, whatever they are called', async () => {
    expect(await detectFileKind(pdf())).toEqual({ mimeType: 'application/pdf', extension: 'pdf' });
    expect(await detectFileKind(png)).toEqual({ mimeType: 'image/png', extension: 'png' });
    expect((await detectFileKind(docx)).extension).toBe('docx');
    expect(await detectFileKind(legacyWord)).toEqual({ mimeType: 'application/msword', extension: 'doc' });
  });

  it('refuses programs, installers and text, saying what they are', async () => {
    await expect(detectFileKind(windowsProgram)).rejects.toThrow('By its content the file is a program (exe), not a document');
    await expect(detectFileKind(linuxProgram)).rejects.toThrow('a program (elf)');
    await expect(detectFileKind(installer)).rejects.toThrow('not a Word, Excel or PowerPoint one');
    await expect(detectFileKind(Buffer.from('root:x:0:0:root:/root:/bin/bash\n'))).rejects.toThrow('cannot be recognised from its content');
    await expect(detectFileKind(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'))).rejects.toThrow(
      /not a document|cannot be recognised/,
    );
  });

  it('makes file extensions from the type, never from a name', () => {
    expect(extensionOf('image/jpeg')).toBe('jpg');
    expect(extensionOf('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).toBe('xlsx');
    expect(extensionOf('audio/mpeg')).toBe('mp3');
    expect(extensionOf('video/quicktime')).toBe('mov');
  });
});

describe("a document's name", () => {
  it('from staff: a plain file name, never a path or control characters', () => {
    expect(documentName.safeParse('Speech report (Nov).pdf').success).toBe(true);
    for (const bad of ['../../etc/passwd', 'a/b.pdf', 'c:\\windows\\x.pdf', '..', 'bad\u0000name.pdf', 'invoice\u202Efdp.exe']) {
      expect(documentName.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('from a chat: made safe to show', () => {
    expect(safeDisplayName('../../etc/passwd')).toBe('passwd');
    expect(safeDisplayName('C:\\Users\\me\\scan.pdf')).toBe('scan.pdf');
    expect(safeDisplayName('report\u202Efdp.exe')).toBe('reportfdp.exe');
    expect(safeDisplayName('line\nbreak\t.pdf')).toBe('linebreak.pdf');
    expect(safeDisplayName('..')).toBe('document');
    expect(safeDisplayName(undefined)).toBe('document');
  });
});
