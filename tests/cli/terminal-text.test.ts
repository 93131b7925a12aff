import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toCsv } from '../../src/cli/csv.js';
import type { CommandEnv } from '../../src/cli/io.js';
import { bold, emit, table } from '../../src/cli/output.js';
import { cleanText, terminalJson, terminalText } from '../../src/infra/terminal-text.js';
import { systemClock } from '../../src/infra/clock.js';

// What a patient could send to get at a staff member's terminal.
const CLIPBOARD = '\u001b]52;c;cm0gLXJmIH4K\u0007';
const CLIPBOARD_ST = '\u001b]52;c;cm0gLXJmIH4K\u001b\\';
const CLEAR = '\u001b[2J\u001b[H';
const LINK = '\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007';
const TITLE = '\u001b]0;pwned\u0007';
const DCS = '\u001bP1;1|secret\u001b\\';
const C1_CSI = '\u009b2J';
const C1_OSC = '\u009d52;c;Zm9v\u009c';
const BIDI = '\u202Efdp.exe\u202C\u2066x\u2069';
const RESET = '\u001bc';

const hasEscape = (text: string) => /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(text);

describe('text for a staff terminal', () => {
  it('loses every escape sequence, control and bidi override, and keeps Hindi, emoji, tabs and newlines', () => {
    const hostile = `Hello${CLIPBOARD}${CLEAR}${LINK}${TITLE}${DCS}${C1_CSI}${C1_OSC}${BIDI}${RESET}\rdone\b\u0000\u007f${CLIPBOARD_ST}`;
    const clean = cleanText(hostile);
    expect(hasEscape(clean)).toBe(false);
    expect(clean).toBe('Helloclickfdp.exexdone');
    const kept = 'नमस्ते, मेरा बेटा\tआरव 👨‍👩‍👧 🙏🏽\nठीक है';
    expect(cleanText(kept)).toBe(kept);
    expect(cleanText('a\tb\nc', { oneLine: true })).toBe('a b c');
  });

  it('cuts an unterminated string sequence at the end of its line, not the rest of the text', () => {
    expect(cleanText('before\u001b]52;c;Zm9v\nafter')).toBe('before\nafter');
    expect(cleanText('x\u001b[')).toBe('x');
  });

  it("draws Roshni's own colours, and none a patient's text forges", () => {
    const out = new PassThrough() as PassThrough & { isTTY?: boolean };
    out.isTTY = true;
    const env = {
      io: { stdout: out, stderr: out, stdin: new PassThrough(), env: {}, clock: systemClock },
      json: false,
      debug: false,
      interactive: false,
    } as CommandEnv;
    const forged = '\uE0008:0000000000000000\uE001hidden';
    const written: string[] = [];
    out.on('data', (chunk: Buffer) => written.push(chunk.toString()));
    emit(env, {}, () => [bold(env, `P-00001 Aarav${CLEAR}`), forged, table(['Name'], [[bold(env, `Aarav${CLIPBOARD}`)]])]);
    const text = written.join('');
    expect(text).toContain('\u001b[1mP-00001 Aarav\u001b[0m');
    expect(text).toContain('\u001b[1mAarav\u001b[0m');
    expect(text.replace(/\u001b\[[01]m/g, '')).not.toMatch(/\u001b/);
    expect(text).toContain('hidden');
  });

  it('draws a table of one line per row, whatever a cell holds', () => {
    const drawn = table(
      ['Name', 'Phone'],
      [
        ['Aarav\nP-00009  Fake Row', '+91 98'],
        [`Diya${CLEAR}`, '+91 97'],
      ],
    );
    expect(drawn.split('\n')).toHaveLength(3);
    expect(hasEscape(drawn)).toBe(false);
  });

  it('keeps JSON faithful: the same value, with nothing a terminal acts on', () => {
    const data = { body: `Hi${CLIPBOARD}${C1_CSI}${BIDI}`, name: 'आरव 👍' };
    const json = terminalJson(data, 2);
    expect(hasEscape(json.replace(/\n/g, ''))).toBe(false);
    expect(JSON.parse(json)).toEqual(data);
  });

  it('keeps a CSV a CSV, its cells cleaned', () => {
    const csv = toCsv(['name'], [[`Aarav${CLIPBOARD}`], ['=1+1']]);
    expect(csv).toBe("name\r\nAarav\r\n'=1+1\r\n");
  });

  it('cleans whatever is written with writeLine', async () => {
    const { writeLine } = await import('../../src/cli/io.js');
    const out = new PassThrough();
    writeLine(out, `roshni: No patient "${CLEAR}x"`);
    expect(out.read().toString()).toBe('roshni: No patient "x"\n');
    expect(terminalText(`${CLIPBOARD}ok`)).toBe('ok');
  });
});
