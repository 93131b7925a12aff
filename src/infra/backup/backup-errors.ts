import { OperationalError } from '../failure.js';

export class BackupDamagedError extends OperationalError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super('invalid', `The backup ${file} is damaged or not a Roshni backup: ${detail}.`);
    this.name = 'BackupDamagedError';
  }
}

/** A file whose checksum matches but whose payload cannot be read: altered, and its checksum recomputed. */
export class BackupContentsDamagedError extends OperationalError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(
      'invalid',
      `The backup ${file} matches its checksum but its contents cannot be read (${detail}): it was altered after it was written. Nothing was restored: the database is as it was.`,
    );
    this.name = 'BackupContentsDamagedError';
  }
}

/** GCM refused the payload: a wrong passphrase and altered contents look alike to it. */
export class BackupUndecryptableError extends OperationalError {
  constructor(readonly file: string) {
    super(
      'invalid',
      `The backup ${file} could not be decrypted: ROSHNI_BACKUP_PASSPHRASE is not the passphrase it was made with, or the file was altered after it was written. Nothing was restored: the database is as it was.`,
    );
    this.name = 'BackupUndecryptableError';
  }
}

export class BackupPassphraseError extends OperationalError {
  constructor(detail: string) {
    super('configuration', detail);
    this.name = 'BackupPassphraseError';
  }
}
