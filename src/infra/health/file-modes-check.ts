import { join } from 'node:path';
import type { Config } from '../config.js';
import { looseEntries } from '../private-directory.js';
import type { Verdict } from './external-services.js';

/** What Roshni keeps on disk, for its owner only: what each tree is, for the warning. */
function privateTrees(config: Config): Array<{ root: string; what: string; onlyItself?: boolean }> {
  return [
    { root: config.home, what: 'ROSHNI_HOME', onlyItself: true },
    ...(config.databaseUrl ? [] : [{ root: join(config.home, 'pg'), what: "the embedded database's files" }]),
    { root: config.backupDir, what: 'the backups' },
    { root: config.documentsDir, what: "the patients' documents" },
  ];
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;

/** Files 0600 and directories 0700 under the home, the backups and the documents: warns, one line, about the first that is looser. */
export function fileModesCheck(config: Config): Verdict {
  const loose = privateTrees(config).flatMap(({ root, what, onlyItself }) =>
    looseEntries(root, { limit: 100, recurse: !onlyItself }).map((entry) => ({ ...entry, what })),
  );
  if (!loose.length) return { status: 'ok', detail: 'data, backups and documents are readable by their owner only' };
  const [first] = loose;
  const should = first!.kind === 'directory' ? '0700' : '0600';
  const more = loose.length > 1 ? ` (and ${loose.length >= 100 ? 'at least ' : ''}${loose.length - 1} more)` : '';
  return {
    status: 'warn',
    detail: `${first!.path} (${first!.what}, a ${first!.kind}) is ${octal(first!.mode)}, should be ${should}${more}: \`chmod -R go= ${first!.path}\``,
  };
}
