import { existsSync, readFileSync } from 'node:fs';

// The same module runs from src/ (tests), dist/src/ and the bundle in dist/cli/: find the package.json above it.
function readVersion(): string {
  for (let up = '../..'; up.length < 20; up += '/..') {
    const candidate = new URL(`${up}/package.json`, import.meta.url);
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
}

export const version: string = readVersion();
