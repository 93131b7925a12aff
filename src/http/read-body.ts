import type { IncomingMessage } from 'node:http';
import { HttpError } from './server.js';

/**
 * The request body exactly as sent (a signature covers these bytes), refused beyond `limitBytes`.
 * A refused body is drained and dropped, not destroyed, so that the 413 can still be sent.
 */
export function readRawBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `the body is over ${limitBytes} bytes`);
  if (Number(request.headers['content-length'] ?? 0) > limitBytes) {
    request.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      if (size > limitBytes) return;
      size += chunk.length;
      if (size > limitBytes) reject(tooLarge());
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
