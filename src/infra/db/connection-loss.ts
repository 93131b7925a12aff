// What a query meets when the PostgreSQL server goes away under it (a restart, a failover, a
// network cut) or is not yet back: worth trying again in a moment, unlike an error in the query.

const CONNECTION_LOSS_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01', // admin_shutdown: the server is stopping (fast shutdown, pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up
]);

/** True for a lost or refused database connection (node-postgres raises some without a code). */
export function isConnectionLoss(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (CONNECTION_LOSS_CODES.has(code) || code.startsWith('08'))) return true;
  return typeof message === 'string' && /connection terminated|not queryable/i.test(message);
}
