import pg from 'pg';

export interface Settled<T> {
  succeeded: T[];
  /** The database's refusals; any other kind of failure is thrown. */
  refused: pg.DatabaseError[];
}

export async function settle<T>(attempts: Promise<T>[]): Promise<Settled<T>> {
  const results = await Promise.allSettled(attempts);
  const settled: Settled<T> = { succeeded: [], refused: [] };
  for (const result of results) {
    if (result.status === 'fulfilled') settled.succeeded.push(result.value);
    else if (result.reason instanceof pg.DatabaseError) settled.refused.push(result.reason);
    else throw result.reason;
  }
  return settled;
}

/**
 * Runs `count` attempts at the same moment, each on its own connection: every connection
 * is opened first, so the attempts race inside PostgreSQL rather than queue in the pool.
 */
export async function atOnce<T>(pool: pg.Pool, count: number, attempt: (client: pg.PoolClient, index: number) => Promise<T>): Promise<Settled<T>> {
  const max = pool.options.max ?? 10;
  if (count > max) throw new Error(`the pool holds ${max} connections, not ${count}`);
  const clients = await Promise.all(Array.from({ length: count }, () => pool.connect()));
  try {
    return await settle(clients.map((client, index) => attempt(client, index)));
  } finally {
    for (const client of clients) client.release();
  }
}

/** "SQLSTATE constraint", the two facts a test asserts about a refusal. */
export const why = (error: pg.DatabaseError) => `${error.code} ${error.constraint}`;
