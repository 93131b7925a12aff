import { describe, expect, it } from 'vitest';
import { ChatQueue } from '../../src/bot/engine/chat-queue.js';

// A busy evening: several families write at once. Each family's messages are answered in the order
// they came; one family's slow answer holds up nobody else; never more than the bound run at once.

function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** A's first update waits on `slow` (an outside call), A's second waits behind it; B's comes meanwhile. */
function slowChatAThenB(queue: ChatQueue) {
  const log: string[] = [];
  const slow = gate();
  const a1 = queue.take('A', async () => {
    await slow.opened;
    log.push('A1');
  });
  const a2 = queue.take('A', async () => void log.push('A2'));
  const b1 = queue.take('B', async () => void log.push('B1'));
  return { log, slow, a1, a2, b1 };
}

describe('the chat queue', () => {
  it("runs one chat's updates in order, other chats meanwhile, and a slow one holds only its chat", async () => {
    const queue = new ChatQueue(4);
    const { log, slow, a1, a2, b1 } = slowChatAThenB(queue);
    await b1;
    expect(log).toEqual(['B1']); // B is answered while A's first update still waits on its outside call
    expect(queue.size).toBe(2);
    slow.open();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['B1', 'A1', 'A2']);
    expect(queue.size).toBe(0);
  });

  it('never runs more than its bound at once, and idle() waits for every update taken', async () => {
    const queue = new ChatQueue(3);
    let running = 0;
    let most = 0;
    const done: number[] = [];
    for (let i = 0; i < 20; i++) {
      void queue.take(`chat-${i % 7}`, async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        running--;
        done.push(i);
      });
    }
    await queue.idle();
    expect(done).toHaveLength(20);
    expect(most).toBe(3);
    expect(queue.mostRunning).toBe(3);
  });

  it("a failing update rejects its own promise only; the chat's next update still runs", async () => {
    const queue = new ChatQueue(2);
    const failed = queue.take('A', async () => {
      throw new Error('boom');
    });
    const next = queue.take('A', async () => {});
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBeUndefined();
  });

  it('held (a stop has cut the replies), starts nothing more: what runs finishes, what waits starts only once released', async () => {
    const queue = new ChatQueue(1);
    const { log, slow, a1, a2, b1 } = slowChatAThenB(queue);
    expect(queue.full).toBe(true);
    queue.hold();
    slow.open();
    await a1;
    await queue.noneRunning();
    expect(log).toEqual(['A1']);
    expect(queue.size).toBe(2);
    expect(queue.full).toBe(false);
    queue.release();
    await Promise.all([a2, b1]);
    expect(log.sort()).toEqual(['A1', 'A2', 'B1']);
  });
});
