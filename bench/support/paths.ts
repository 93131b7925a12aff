import { fileURLToPath } from 'node:url';

/** The repository root: this file runs as dist/bench/support/paths.js. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
