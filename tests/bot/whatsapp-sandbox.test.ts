import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { whatsappWebSession } from '../../src/bot/channels/whatsapp.js';
import { chromiumArgs, chromiumSandbox } from '../../src/infra/chromium-sandbox.js';
import { systemClock } from '../../src/infra/clock.js';
import { loadConfig } from '../../src/infra/config.js';
import { checkHealth } from '../../src/infra/health/health.js';
import { runCli } from '../support/cli.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';

// WhatsApp's browser renders a page from outside all day: it runs in Chromium's sandbox. As root,
// where Chromium will not start sandboxed, Roshni refuses unless ROSHNI_WHATSAPP_NO_SANDBOX=yes.
const home = makeEmbeddedHome(); // `roshni health` below starts its embedded server
const configWith = (env: Record<string, string> = {}) => loadConfig({ ROSHNI_HOME: home, WHATSAPP_ENABLED: 'true', ...env }, '/nonexistent/.env');
const roomyDisk = async () => ({ freeBytes: 40 * 1024 ** 3, totalBytes: 100 * 1024 ** 3 });

describe("the WhatsApp browser's sandbox", () => {
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => removeEmbeddedHome(home));

  it('is on for an unprivileged user; as root, the browser is refused, naming the README section; off only when asked for', () => {
    expect(chromiumSandbox(configWith(), 1000)).toEqual({ sandbox: true });
    expect(chromiumArgs(chromiumSandbox(configWith(), 1000))).toEqual([]);
    const root = chromiumSandbox(configWith(), 0);
    expect(root.refusal).toMatch(/runs as root.*unprivileged user \(README, "Operations" › "The WhatsApp browser"\).*ROSHNI_WHATSAPP_NO_SANDBOX=yes/);
    const off = chromiumSandbox(configWith({ ROSHNI_WHATSAPP_NO_SANDBOX: 'yes' }), 0);
    expect(off.refusal).toBeUndefined();
    expect(chromiumArgs(off)).toEqual(['--no-sandbox', '--disable-setuid-sandbox']);
  });

  it("launches whatsapp-web.js's Chromium with no --no-sandbox, and refuses to as root", async () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    const session = await whatsappWebSession(configWith(), () => {});
    const options = (session.client as unknown as { options: { puppeteer: { args?: string[] } } }).options;
    expect(options.puppeteer.args ?? []).not.toContain('--no-sandbox');
    expect(options.puppeteer.args ?? []).not.toContain('--disable-setuid-sandbox');

    vi.spyOn(process, 'getuid').mockReturnValue(0);
    await expect(whatsappWebSession(configWith(), () => {})).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/ROSHNI_WHATSAPP_NO_SANDBOX/),
    });
    const unsandboxed = await whatsappWebSession(configWith({ ROSHNI_WHATSAPP_NO_SANDBOX: 'yes' }), () => {});
    expect((unsandboxed.client as unknown as { options: { puppeteer: { args: string[] } } }).options.puppeteer.args).toContain('--no-sandbox');
  });

  it('is checked by `roshni health`: a warning when running as root or with the sandbox off, nothing without WhatsApp', async () => {
    const sandboxCheck = async (config: ReturnType<typeof configWith>, userId: number) =>
      (await checkHealth({ config, clock: systemClock, db: { error: new Error('not needed here') }, diskSpace: roomyDisk, userId })).checks.find(
        (c) => c.name === 'whatsapp-sandbox',
      );
    expect(await sandboxCheck(configWith(), 1000)).toMatchObject({ status: 'ok' });
    expect(await sandboxCheck(configWith(), 0)).toMatchObject({ status: 'warn', detail: expect.stringMatching(/root/) });
    expect(await sandboxCheck(configWith({ ROSHNI_WHATSAPP_NO_SANDBOX: 'yes' }), 1000)).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/without Chromium's sandbox/),
    });
    expect(await sandboxCheck(loadConfig({ ROSHNI_HOME: home }, '/nonexistent/.env'), 0)).toBeUndefined();

    const cli = await runCli(['health', '--json'], { ROSHNI_HOME: home, WHATSAPP_ENABLED: 'true', ROSHNI_WHATSAPP_NO_SANDBOX: 'yes' });
    const report = JSON.parse(cli.stdout) as { checks: Array<{ name: string; status: string }> };
    expect(report.checks.find((c) => c.name === 'whatsapp-sandbox')).toMatchObject({ status: 'warn' });
    expect(cli.code).toBeGreaterThanOrEqual(1);
  });
});
