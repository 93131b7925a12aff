import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

const hooks = new URL('./ts-hooks.mjs', import.meta.url).href;
const register = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(hooks)})`;

/** Runs a TypeScript file of this project in a separate `node` process; resolves to its stdout. */
export function runTypeScript(file: URL, args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', register, file.pathname, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file.pathname} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/** Starts a TypeScript file of this project in a separate `node` process, for a test to watch and kill. */
export function spawnTypeScript(file: URL, args: string[] = []): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', register, file.pathname, ...args], { stdio: 'pipe' });
}
