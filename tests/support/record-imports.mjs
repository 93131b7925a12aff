// Loaded with `node --import`: records every module URL the process loads into the file named by
// ROSHNI_RECORD_IMPORTS, so a test can prove that `roshni --help` stays away from heavy packages.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url, { data: { file: process.env.ROSHNI_RECORD_IMPORTS } });
