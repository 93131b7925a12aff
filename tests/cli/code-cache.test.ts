import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../support/cli.js';

// bin/roshni.js keeps what V8 compiled for a command group's first successful run, and starts later runs of
// that group from it. `config show` needs no database; each test has its own cache folder (ROSHNI_CODE_CACHE).

function cacheFolder() {
  return mkdtempSync(join(tmpdir(), 'roshni-code-cache-'));
}

const configShow = (cache: string) => spawnCli(['config', 'show'], { ROSHNI_CODE_CACHE: cache, ROSHNI_HOME: '/nonexistent' });

describe('the code cache', () => {
  it("is written by a group's first successful run, then read and left as it is", async () => {
    const cache = cacheFolder();
    const first = await configShow(cache);
    expect(first.code).toBe(0);
    const [file, ...others] = readdirSync(cache);
    expect(others).toEqual([]);
    expect(file).toMatch(/^config-\d+-\d+\.bin$/);
    const written = statSync(join(cache, file!));
    expect(written.size).toBeGreaterThan(10_000);

    const second = await configShow(cache);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(statSync(join(cache, file!)).mtimeMs).toBe(written.mtimeMs);
  });

  it('is not written by a run that failed', async () => {
    const cache = cacheFolder();
    const refused = await spawnCli(['config', 'show', '--no-such-option'], { ROSHNI_CODE_CACHE: cache, ROSHNI_HOME: '/nonexistent' });
    expect(refused.code).toBe(2);
    expect(readdirSync(cache)).toEqual([]);
  });

  it('that V8 refuses (damaged) is written again, and the command works meanwhile', async () => {
    const cache = cacheFolder();
    expect((await configShow(cache)).code).toBe(0);
    const [file] = readdirSync(cache);
    writeFileSync(join(cache, file!), Buffer.alloc(4096, 7));
    const run = await configShow(cache);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ROSHNI_HOME');
    expect(readFileSync(join(cache, file!)).equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(readdirSync(cache)).toEqual([file]);
  });

  it('is left alone where it cannot be written', async () => {
    // A folder below a file cannot be made, even by root (who may write anywhere a folder is).
    const file = join(cacheFolder(), 'a-file');
    writeFileSync(file, '');
    const run = await configShow(join(file, 'code-cache'));
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });
});
