import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Who may read GET /health's detail (paths, database errors, backup and outbox state, bot usernames).
// Anyone gets ok / degraded / down. The detail needs ROSHNI_HEALTH_TOKEN as a bearer token; with no
// token configured, a request from this machine (loopback) gets it too. Addresses are the socket's:
// X-Forwarded-For and the like are never believed. A reverse proxy on the same machine makes every
// request loopback, so a loopback request that carries a forwarding header counts as from outside;
// behind a proxy, set the token (the detail is then the token's only).

export interface HealthAccess {
  /** ROSHNI_HEALTH_TOKEN; when set, the only way to the detail. */
  token?: string | undefined;
}

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via'];

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Compared in constant time (of equal-length digests), so the answer's time tells nothing of the token. */
function bearerMatches(request: IncomingMessage, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

function fromThisMachine(request: IncomingMessage): boolean {
  const address = request.socket.remoteAddress ?? '';
  const loopback = address === '::1' || /^(::ffff:)?127\./.test(address);
  return loopback && !FORWARDING_HEADERS.some((name) => request.headers[name] !== undefined);
}

export function mayReadHealthDetail(request: IncomingMessage, access: HealthAccess): boolean {
  return access.token ? bearerMatches(request, access.token) : fromThisMachine(request);
}
