import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../src/infra/config.js';
import { runCli } from '../support/cli.js';

const noEnvFile = '/nonexistent/.env';

describe('configuration errors', () => {
  it.each([
    ['DATABASE_URL', 'mysql://localhost/roshni', 'DATABASE_URL must be a postgres:// URL'],
    ['ROSHNI_TIMEZONE', 'Mars/Olympus', 'ROSHNI_TIMEZONE must be an IANA time zone'],
    ['WHATSAPP_ENABLED', 'maybe', 'WHATSAPP_ENABLED'],
    ['ROSHNI_HTTP_PORT', '99999', 'ROSHNI_HTTP_PORT'],
    ['RAZORPAY_KEY_ID', 'key_123', 'RAZORPAY_KEY_ID must start with rzp_test_ or rzp_live_'],
    // ROSHNI_USER no longer names who acts: any value is refused, pointing to `roshni login`.
    ['ROSHNI_USER', 'anita.admin', 'ROSHNI_USER is invalid: no longer names who acts: sign in with `roshni login`'],
    ['ROSHNI_MAX_DOCUMENT_MB', 'lots', 'ROSHNI_MAX_DOCUMENT_MB is invalid: expected number'],
  ])('%s=%s gives one line naming the variable and exit code 6', async (variable, value, message) => {
    const { code, stdout, stderr } = await runCli(['today'], { [variable]: value });
    expect(code).toBe(6);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/\bat .*\(/);
  });

  it('never echoes a secret it rejects', () => {
    const secret = 'tiny';
    expect(() => loadConfig({ RAZORPAY_KEY_SECRET: secret }, noEnvFile)).toThrow(ConfigError);
    try {
      loadConfig({ RAZORPAY_KEY_SECRET: secret }, noEnvFile);
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
  });

  it('reads a .env file, and the real environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'roshni-env-'));
    writeFileSync(join(dir, '.env'), 'ROSHNI_TIMEZONE=Asia/Dubai\nROSHNI_HOME=/srv/from-file\n');
    const config = loadConfig({ ROSHNI_HOME: '/srv/from-env' }, join(dir, '.env'));
    expect(config.timezone).toBe('Asia/Dubai');
    expect(config.home).toBe('/srv/from-env');
    expect(config.backupDir).toBe('/srv/from-env/backups');
  });

  it('defaults to the embedded database in ~/.roshni and Asia/Kolkata', () => {
    const config = loadConfig({ HOME: '/home/clinic' }, noEnvFile);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.timezone).toBe('Asia/Kolkata');
    expect(config.home).toMatch(/\.roshni$/);
  });

  it('masks secrets and database passwords when shown', async () => {
    const env = {
      DATABASE_URL: 'postgres://clinic:s3cr3t-pw@db.local:5432/roshni',
      RAZORPAY_KEY_ID: 'rzp_test_abc123',
      RAZORPAY_KEY_SECRET: 'very-secret-key-value',
      TELEGRAM_BOT_TOKEN: '123456:ABCdefGhIJKlmNoPQRstuVWxyz012345',
    };
    const shown = describeConfig(loadConfig(env, noEnvFile));
    expect(shown.RAZORPAY_KEY_SECRET).toBe('********');
    expect(shown.RAZORPAY_KEY_ID).toBe('rzp_test_abc123');
    const { code, stdout } = await runCli(['config', 'show', '--json'], env);
    expect(code).toBe(0);
    for (const secret of ['s3cr3t-pw', 'very-secret-key-value', 'ABCdefGhIJKlmNoPQRstuVWxyz012345']) expect(stdout).not.toContain(secret);
    expect(JSON.parse(stdout).DATABASE_URL).toBe('postgres://clinic:********@db.local:5432/roshni');
  });
});
