import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('roshni backup on the embedded database', () => {
  const homes: string[] = [];
  const newHome = () => {
    const home = mkdtempSync(join(tmpdir(), 'roshni-embedded-backup-'));
    homes.push(home);
    return home;
  };
  afterAll(() => homes.forEach((home) => rmSync(home, { recursive: true, force: true })));

  it("dumps PGlite's data directory, verifies it in memory and restores it into another home", async () => {
    const home = newHome();
    const env = { ROSHNI_HOME: home, ROSHNI_BACKUP_PASSPHRASE: 'a long enough passphrase' };
    expect((await runCli(['init', '--name', 'Sunrise Child Therapy'], env)).code).toBe(0);
    const created = await runCli(['backup', 'create', '--type', 'daily', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const made = JSON.parse(created.stdout);
    expect(made.encrypted).toBe(true);
    expect(made.tables.clinic_settings).toBe(1);

    const verified = await runCli(['backup', 'verify', 'latest', '--json'], env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout).ok).toBe(true);

    const elsewhere = { ...env, ROSHNI_HOME: newHome() };
    const restored = await runCli(['backup', 'restore', made.file], elsewhere);
    expect(restored.code, restored.stderr).toBe(0);
    const status = await runCli(['init', '--upi-vpa', 'sunrise@okaxis', '--json'], elsewhere);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).settings.name).toBe('Sunrise Child Therapy');
    // The backup was taken while its log row said "running"; restored, it says completed.
    const listed = JSON.parse((await runCli(['backup', 'list', '--json'], elsewhere)).stdout);
    expect(listed).toEqual([expect.objectContaining({ id: made.id, kind: 'daily', state: 'completed' })]);

    // Now the restored home has data: a second restore needs --force.
    const refused = await runCli(['backup', 'restore', made.file], elsewhere);
    expect(refused.code).toBe(4);
    expect((await runCli(['backup', 'restore', made.file, '--force'], elsewhere)).code).toBe(0);
  }, 120_000);
});
