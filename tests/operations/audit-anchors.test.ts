import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANCHORS_FILE, appendAnchor, readAnchors } from '../../src/infra/audit/anchors.js';

// audit-anchors.jsonl: one line per verified head; a restore's line starts the anchors that count again.
describe('the audit chain anchors file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'roshni-anchors-'));
    file = join(dir, 'backups', ANCHORS_FILE);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const hash = (c: string) => c.repeat(64);
  const ours = '7716367679103880567/roshni';

  it('adds a head only when it moved, and counts only the anchors from the last restore on', () => {
    expect(appendAnchor(file, { database: ours, at: '2026-12-01T00:00:00.000Z', position: 10, hash: hash('a') })).toBe(true);
    expect(appendAnchor(file, { database: ours, at: '2026-12-02T00:00:00.000Z', position: 10, hash: hash('a') })).toBe(false);
    expect(appendAnchor(file, { database: ours, at: '2026-12-03T00:00:00.000Z', position: 20, hash: hash('b') })).toBe(true);
    expect(readAnchors(file, ours).anchors.map((a) => a.position)).toEqual([10, 20]);
    appendAnchor(file, { database: ours, at: '2026-12-04T00:00:00.000Z', position: 12, hash: hash('c'), restoredFrom: 'roshni-daily.backup' });
    appendAnchor(file, { database: ours, at: '2026-12-05T00:00:00.000Z', position: 15, hash: hash('d') });
    appendFileSync(file, 'not json\n{"at": "x", "position": -1, "hash": "zz"}\n');
    expect(readAnchors(file, ours)).toEqual({
      anchors: [
        { database: ours, at: '2026-12-04T00:00:00.000Z', position: 12, hash: hash('c'), restoredFrom: 'roshni-daily.backup' },
        { database: ours, at: '2026-12-05T00:00:00.000Z', position: 15, hash: hash('d') },
      ],
      unreadable: 2,
    });
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(6);
  });

  it("keeps each database's anchors apart, in one folder", () => {
    appendAnchor(file, { database: ours, at: '2026-12-01T00:00:00.000Z', position: 10, hash: hash('a') });
    appendAnchor(file, { database: 'another/trial', at: '2026-12-01T00:00:00.000Z', position: 10, hash: hash('b') });
    appendAnchor(file, { database: 'another/trial', at: '2026-12-02T00:00:00.000Z', position: 1, hash: hash('c'), restoredFrom: 'x.backup' });
    expect(readAnchors(file, ours).anchors.map((a) => a.hash)).toEqual([hash('a')]);
    expect(readAnchors(file, 'another/trial').anchors.map((a) => a.hash)).toEqual([hash('c')]);
  });
});
