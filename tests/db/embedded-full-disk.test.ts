import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { makeEmbeddedHome, removeEmbeddedHome } from '../support/embedded-home.js';

// A full disk while the embedded server is created: one line saying so, exit 8. The disk is a 20 MB
// memory filesystem (an initialised server needs about 40 MB), which only root may mount.
function mount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=20m,mode=0711', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('the embedded database on a full disk', { timeout: 60_000 }, () => {
  const parent = makeEmbeddedHome();
  const disk = join(parent, 'disk');
  let mounted = false;
  beforeAll(() => {
    chmodSync(parent, 0o711); // passed through by the server's 'postgres' user, as root
    mkdirSync(disk);
    mounted = mount(disk);
  });
  afterAll(async () => {
    if (mounted) execFileSync('umount', [disk]);
    await removeEmbeddedHome(parent);
  });

  it('says the disk is full and exits 8', async (context) => {
    if (!mounted) context.skip(); // not root, or no tmpfs: nothing to fill
    const home = join(disk, 'home');
    const { code, stderr } = await runCli(['db', 'migrate'], { ROSHNI_HOME: home });
    expect(stderr.trim()).toBe(
      `roshni: The disk holding ${join(home, 'pg')} is full, so the embedded database could not create: free some space, then try again.`,
    );
    expect(code).toBe(8);
  });
});
