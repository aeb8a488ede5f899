// An adapter module is asked of the loader once, however many checks run through it.
import { describe, expect, it } from 'vitest';
import { loadOnce } from '../src/session/load-once.js';

describe('loadOnce', () => {
  it('loads on first use, once, and gives every caller the same module', async () => {
    let loads = 0;
    const load = loadOnce(async () => ({ n: ++loads }));
    expect(loads).toBe(0);
    const got = await Promise.all(Array.from({ length: 20 }, () => load()));
    expect(loads).toBe(1);
    expect(new Set(got).size).toBe(1);
    expect(await load()).toBe(got[0]);
  });
});
