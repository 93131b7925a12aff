/** Exit codes of every `roshni` command (also listed in the README). */
export const ExitCode = {
  ok: 0,
  /** Something unexpected went wrong (a bug, or an outside failure); rerun with --debug for the stack. */
  unexpected: 1,
  /** The command line or an input value is wrong. */
  invalidInput: 2,
  notFound: 3,
  /** The clinic's rules or the database refused the change (slot taken, already used, overlapping leave…). */
  conflict: 4,
  forbidden: 5,
  configuration: 6,
  /** The database cannot be reached (the embedded server could not start), or needs `roshni db migrate`. */
  database: 7,
  /** Not enough free space on a disk Roshni writes to (the backup directory, the embedded database). */
  diskFull: 8,
  /** No member of staff is signed in, or their session has ended: `roshni login`. */
  notSignedIn: 9,
  /** `roshni audit verify`: the audit log's hash chain is broken (an entry edited, deleted or inserted). */
  auditChainBroken: 10,
  /** A weekly series booked some of its dates and not others (each listed with the reason). */
  partlyDone: 11,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
