/**
 * Deals `items` round-robin to `workers` workers; each works through its share one item at a time
 * while all workers run concurrently. Resolves when every item is done; rejects on the first failure.
 */
export async function runConcurrently<T>(items: readonly T[], workers: number, work: (item: T) => Promise<void>): Promise<void> {
  const shares = Array.from({ length: workers }, (_, w) => items.filter((_, i) => i % workers === w));
  await Promise.all(
    shares.map(async (share) => {
      for (const item of share) await work(item);
    }),
  );
}

/** Runs `work` on each item in order, one at a time. */
export async function runSequentially<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (const item of items) await work(item);
}
