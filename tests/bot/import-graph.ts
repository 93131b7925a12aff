import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// The relative imports among a folder's TypeScript files, read from the source with a regex: the
// static ones (`import … from './…'`, `import type` too, and re-exports), which load a module with
// the importer, not `import('./…')`, which loads it later. Enough to see cycles and who imports
// whom, with no package of its own.

export type ImportGraph = Map<string, string[]>;

const RELATIVE_IMPORT = /(?:\bfrom\s+|^import\s+)'(\.{1,2}\/[^']+)'/gm;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? tsFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Each file below `root` (as a path relative to it) with the files below `root` it imports. */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of tsFiles(root)) {
    const from = path.relative(root, file);
    const imports = [...readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)]
      .map((m) => path.relative(root, path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts'))))
      .filter((target) => !target.startsWith('..'));
    graph.set(from, [...new Set(imports)]);
  }
  return graph;
}

/** A cycle of imports (its files in order, the first repeated at the end), or undefined when there is none. */
export function findCycle(graph: ImportGraph): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (file: string): string[] | undefined => {
    const at = onPath.indexOf(file);
    if (at >= 0) return [...onPath.slice(at), file];
    if (done.has(file)) return undefined;
    onPath.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    onPath.pop();
    done.add(file);
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}
