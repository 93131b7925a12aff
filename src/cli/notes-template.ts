// The session-notes template opened in $EDITOR: one "## Heading" per field, text under it.

export const NOTE_SECTIONS = [
  { key: 'objectives', heading: 'Objectives' },
  { key: 'activities', heading: 'Activities' },
  { key: 'materials', heading: 'Materials' },
  { key: 'observations', heading: 'Observations' },
  { key: 'progressNotes', heading: 'Progress notes' },
  { key: 'homework', heading: 'Homework' },
  { key: 'nextPlan', heading: 'Next plan' },
  { key: 'attendance', heading: 'Attendance (present, late, left_early, absent)' },
  { key: 'patientResponse', heading: 'Patient response' },
  { key: 'rating', heading: 'Rating (1-5)' },
] as const;

export type NoteKey = (typeof NOTE_SECTIONS)[number]['key'];

export function notesTemplate(title: string, prefilled: Partial<Record<NoteKey, string>> = {}): string {
  const lines = [
    `# Session notes for ${title}. Write under each heading; lines starting with # are ignored.`,
    '# Leave a section empty to skip it. Save and close the editor to record the notes.',
    '',
  ];
  for (const { key, heading } of NOTE_SECTIONS) {
    lines.push(`## ${heading}`, prefilled[key] ?? (key === 'attendance' ? 'present' : ''), '');
  }
  return lines.join('\n');
}

/** The filled-in template back as fields (empty sections left out). */
export function parseNotesTemplate(text: string): Partial<Record<NoteKey, string>> {
  const byHeading = new Map<string, NoteKey>(NOTE_SECTIONS.map((s) => [s.heading.toLowerCase(), s.key]));
  const result: Partial<Record<NoteKey, string>> = {};
  let current: NoteKey | undefined;
  let buffer: string[] = [];
  const flush = () => {
    const value = buffer.join('\n').trim();
    if (current && value) result[current] = value;
    buffer = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('## ')) {
      flush();
      current = byHeading.get(line.slice(3).trim().toLowerCase());
    } else if (!line.startsWith('#')) {
      buffer.push(line);
    }
  }
  flush();
  return result;
}
