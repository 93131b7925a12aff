import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/infra/channels/rate-limiter.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Telegram counts a chat's messages as they reach it. A send's request reaches the provider before
// its answer comes back, so spacing a chat's sends from the end of the previous one keeps them apart
// there, however the network (or a busy event loop) delays either request.
describe('the rate limiter', () => {
  it("spaces a chat's sends from the end of the previous one, however long that one took", async () => {
    const limiter = new RateLimiter({ perSecond: 1000, perKeyIntervalMs: 200 });
    const first = await limiter.acquire('chat-1');
    const secondAcquired = limiter.acquire('chat-1').then((over) => ({ over, at: performance.now() }));
    await wait(300); // the first request is slow to answer
    const firstOverAt = performance.now();
    first();
    const second = await secondAcquired;
    expect(second.at - firstOverAt).toBeGreaterThanOrEqual(195);
    second.over();
  });

  it('holds no other chat while one chat waits for its turn', async () => {
    const limiter = new RateLimiter({ perSecond: 1000, perKeyIntervalMs: 10_000 });
    const busy = await limiter.acquire('chat-1');
    const queued = limiter.acquire('chat-1');
    const startedAt = performance.now();
    (await limiter.acquire('chat-2'))();
    expect(performance.now() - startedAt).toBeLessThan(500);
    busy();
    void queued.then((over) => over());
  });

  it('holds every chat for a pause (a 429), then lets them go', async () => {
    const limiter = new RateLimiter({ perSecond: 1000, perKeyIntervalMs: 0 });
    await limiter.pause(300);
    const startedAt = performance.now();
    (await limiter.acquire('chat-3'))();
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(295);
  });
});
