import { describe, expect, it } from 'vitest';
import { CHAT_FLOOD_LIMIT, ChatRateLimiter, costOf } from '../../src/bot/engine/rate-limit.js';
import type { Incoming } from '../../src/bot/engine/types.js';

// A busy evening: guardians tap through the menus 1–3 s apart and are never told to slow down; a
// script (or a stuck key, or a storm of files) is refused at once, told once, and comes back when it
// stops. The clock is a number the test moves; the pauses come from a seeded generator.

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chatAt(start = 0) {
  let now = start;
  const limiter = new ChatRateLimiter(CHAT_FLOOD_LIMIT, () => now);
  return {
    send: (input: Incoming, key = 'telegram:1') => limiter.check(key, costOf(input)),
    wait: (ms: number) => {
      now += ms;
    },
  };
}

const tap: Incoming = { kind: 'choice', value: 'menu:book' };
const typedNumber: Incoming = { kind: 'text', text: '2' };
const words: Incoming = { kind: 'text', text: 'Can we come on Saturday instead?' };
const photo: Incoming = { kind: 'document', name: 'report.jpg' };

describe('flood control per chat', () => {
  it.each([
    ['tapping buttons on Telegram', 1, () => tap],
    ['typing option numbers on WhatsApp', 2, () => typedNumber],
  ])('a guardian %s 1–3 s apart for ten minutes is never refused', (_, seed, next) => {
    const chat = chatAt();
    const random = seeded(seed);
    const answers: string[] = [];
    for (let elapsed = 0; elapsed < 10 * 60_000;) {
      answers.push(chat.send(next()));
      const pause = 1000 + Math.floor(random() * 2001);
      chat.wait(pause);
      elapsed += pause;
    }
    expect(answers.length).toBeGreaterThan(250);
    expect(answers.filter((a) => a !== 'ok')).toEqual([]);
  });

  it('nor one who mixes taps with a sentence now and then and sends three photos at once', () => {
    const chat = chatAt();
    const random = seeded(3);
    const answers: string[] = [];
    for (let turn = 0; turn < 300; turn++) {
      if (turn % 50 === 25) for (let i = 0; i < 3; i++) answers.push(chat.send(photo));
      else answers.push(chat.send(turn % 7 === 0 ? words : tap));
      chat.wait(1000 + Math.floor(random() * 2001));
    }
    expect(answers.filter((a) => a !== 'ok')).toEqual([]);
  });

  it('30 messages in 2 s: ten taps pass, one "slow down", the rest dropped; quiet for ten seconds and all is well', () => {
    const chat = chatAt();
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) {
      answers.push(chat.send(tap));
      chat.wait(66);
    }
    // 10 at once, plus the two earned over those two seconds.
    expect(answers.filter((a) => a === 'ok')).toHaveLength(11);
    expect(answers.filter((a) => a === 'warn')).toHaveLength(1);
    expect(answers.slice(0, 10)).toEqual(Array(10).fill('ok'));
    expect(answers[10]).toBe('warn');

    chat.wait(10_000);
    const after: string[] = [];
    for (let i = 0; i < 10; i++) after.push(chat.send(tap));
    expect(after).toEqual(Array(10).fill('ok'));
    // A second flood is a new flood: told once again.
    expect(chat.send(tap)).toBe('warn');
    expect(chat.send(tap)).toBe('drop');
  });

  it('a flood that never stops is held to one a second and told only once', () => {
    const chat = chatAt();
    const answers: string[] = [];
    for (let i = 0; i < 600; i++) {
      answers.push(chat.send(tap));
      chat.wait(100); // ten a second, for a minute
    }
    expect(answers.filter((a) => a === 'warn')).toHaveLength(1);
    expect(answers.filter((a) => a === 'ok').length).toBeLessThanOrEqual(10 + 60);
  });

  it('typed words and files cost more than taps: a storm of files is refused sooner', () => {
    const chat = chatAt();
    const files = Array.from({ length: 20 }, () => chat.send(photo));
    expect(files.filter((a) => a === 'ok')).toHaveLength(3);
    expect(files[3]).toBe('warn');
    const other = chatAt();
    expect(Array.from({ length: 6 }, () => other.send(words))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'warn']);
    expect(costOf(tap)).toBeLessThan(costOf(words));
    expect(costOf(words)).toBeLessThan(costOf(photo));
  });

  it('each chat has its own allowance', () => {
    const chat = chatAt();
    for (let i = 0; i < 12; i++) chat.send(tap, 'whatsapp:flooder');
    expect(chat.send(tap, 'whatsapp:flooder')).toBe('drop');
    expect(chat.send(tap, 'whatsapp:neighbour')).toBe('ok');
  });
});
