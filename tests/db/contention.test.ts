import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, type DomainContext } from '../../src/domain/context.js';
import { systemContext } from '../support/clinic.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

interface Signal {
  promise: Promise<void>;
  resolve: () => void;
}

function signal(): Signal {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

// Two writers that lock the same rows in opposite orders deadlock; PostgreSQL rolls one back.
// That one gets a plain "try again" (a conflict, exit code of its own), not an internal error.
describe('a transaction that loses a deadlock', () => {
  let database: TestDatabase;
  let ctx: DomainContext;
  let first: number;
  let second: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    ctx = systemContext(database.db);
    [first, second] = (
      await database.db
        .insertInto('therapists')
        .values([{ full_name: 'First' }, { full_name: 'Second' }])
        .returning('id')
        .execute()
    ).map((t) => t.id) as [number, number];
  });
  afterAll(() => database?.close());

  it('is told someone else was changing the same records and nothing was saved; the other commits', async () => {
    const held = { a: signal(), b: signal() };
    const lock = (tx: DomainContext, id: number) => sql`SELECT 1 FROM therapists WHERE id = ${id} FOR UPDATE`.execute(tx.db);
    const rename = (tx: DomainContext, id: number, name: string) => tx.db.updateTable('therapists').set({ full_name: name }).where('id', '=', id).execute();
    const writer = (mine: number, theirs: number, name: string, me: Signal, them: Signal) =>
      inTransaction(ctx, async (tx) => {
        await rename(tx, mine, name);
        me.resolve();
        await them.promise;
        await lock(tx, theirs);
        await rename(tx, theirs, name);
      });
    const outcomes = await Promise.allSettled([writer(first, second, 'A', held.a, held.b), writer(second, first, 'B', held.b, held.a)]);

    const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ kind: 'conflict', details: { reason: 'contention' } });
    expect(refused[0].message).toMatch(/nothing was saved\. Please try again/);
    const names = await database.db.selectFrom('therapists').select('full_name').where('id', 'in', [first, second]).execute();
    expect(new Set(names.map((n) => n.full_name)).size).toBe(1); // all of one writer, none of the other
  });
});
