// Failures of Roshni's own machinery (configuration, the database, backups, a prompt given up) whose
// message tells people what to do. Each says what kind it is, and each door maps the kinds once (the
// CLI to exit codes, in src/cli/report-error.ts) by class, never by name. This module imports
// nothing, so the CLI's reporter can test `instanceof` without loading the database layer.

export type FailureKind = 'invalid' | 'not_found' | 'conflict' | 'configuration' | 'database' | 'disk_full' | 'not_signed_in' | 'unexpected';

export class OperationalError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
