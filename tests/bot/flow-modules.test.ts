import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { flows } from '../../src/bot/flows/index.js';
import { OFFERED_REPLIES_STEP } from '../../src/infra/channels/chat-offers.js';
import { findCycle, importGraph } from './import-graph.js';

// The bot's flows are modules the engine knows by name: no flow imports another (they move on with
// turn.goTo), only the registry (src/bot/flows/index.ts) imports them all, and src/bot has no import cycle.

const BOT = 'src/bot';
const REGISTRY = 'flows/index.ts';
/** Helpers the flows share; not a flow. */
const SHARED = 'flows/common.ts';
const graph = importGraph(BOT);
const flowFiles = [...graph.keys()].filter((file) => file.startsWith('flows/') && file !== REGISTRY && file !== SHARED);

describe('the bot flows as modules', () => {
  it('reads the imports it checks (a cycle made on purpose is found)', () => {
    expect(flowFiles.length).toBeGreaterThanOrEqual(12);
    expect(graph.get('engine/engine.ts')).toContain(REGISTRY);
    expect(
      findCycle(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', ['c.ts']],
          ['c.ts', ['a.ts']],
        ]),
      ),
    ).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    expect(
      findCycle(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toBeUndefined();
  });

  it('src/bot has no import cycle', () => {
    expect(findCycle(graph)).toBeUndefined();
  });

  it('no flow imports another flow, and only the registry imports the flows', () => {
    const flowImports = flowFiles.flatMap((file) =>
      graph
        .get(file)!
        .filter((target) => target.startsWith('flows/') && target !== SHARED)
        .map((t) => `${file} → ${t}`),
    );
    expect(flowImports).toEqual([]);
    const importers = [...graph].flatMap(([file, targets]) =>
      file === REGISTRY ? [] : targets.filter((t) => flowFiles.includes(t)).map((t) => `${file} → ${t}`),
    );
    expect(importers).toEqual([]);
  });

  it('every step a flow stores is one of its own steps', () => {
    const unknown = flowFiles.flatMap((file) => {
      const name = path.basename(file, '.ts');
      const source = readFileSync(path.join(BOT, file), 'utf8');
      const stored = [...source.matchAll(/(?:ask|expectText|offerOrMenu)\(\s*turn,\s*'([^']+)'|step: '([^']+)'/g)].map((m) => m[1] ?? m[2]!);
      return stored.filter((id) => id !== 'start' && !(id.startsWith(`${name}.`) && flows.has(id))).map((id) => `${file}: ${id}`);
    });
    expect(unknown).toEqual([]);
    // The outbox's chat offers put a reminder's replies at this step (src/infra/channels/chat-offers.ts).
    expect(flows.has(OFFERED_REPLIES_STEP)).toBe(true);
  });
});
