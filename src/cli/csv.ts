// CSV as spreadsheets read it (RFC 4180): a header line, then one line per row, CRLF line ends.

import { cleanText } from '../infra/terminal-text.js';

type Cell = string | number | boolean | null | undefined;

function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  // A name or a note arrives as typed, perhaps with escape sequences: the sheet gets the text only.
  let text = typeof value === 'string' ? cleanText(value) : String(value);
  // A text cell that a spreadsheet would run as a formula (=, +, -, @) is kept as text.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(head: string[], rows: Cell[][]): string {
  return [head, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
